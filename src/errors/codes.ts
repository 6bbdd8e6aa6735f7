/**
 * Every error code the tool uses, declared once: who is at fault (which decides the exit code,
 * see src/errors.ts) and what the code means. The error classes take only codes registered for
 * their kind, so a mistyped or undeclared code fails the type check; docs/error-codes.md is
 * generated from this table (scripts/error-codes-doc.ts).
 */

/** Who is at fault: decides the exit code and how the message is worded. */
export type ErrorKind = 'usage' | 'infrastructure' | 'gate' | 'teardown' | 'interrupted' | 'internal';

/** One registered code. */
export interface ErrorCodeEntry {
  /**
   * The kinds it is raised as (most codes: one). Empty for a code that is only written to the
   * journal's `error` records and never ends a command.
   */
  kinds: readonly ErrorKind[];
  /** What it means, in one line (the docs' table). */
  description: string;
}

const usage = ['usage'] as const;
const infrastructure = ['infrastructure'] as const;
const journalOnly = [] as const;

/** The registry, by code. */
export const ERROR_CODES = {
  E_AWS: {
    kinds: infrastructure,
    description: 'An AWS API call failed (the call, region and AWS error name are in the message).',
  },
  E_AWS_CREDENTIALS: { kinds: usage, description: 'No AWS credentials were found, or STS refused them.' },
  E_AWS_REGION: { kinds: usage, description: 'No AWS region for the run, or a name that is not an AWS region.' },
  E_AWS_UNREACHABLE: { kinds: infrastructure, description: 'An AWS endpoint did not answer during the preflight.' },
  E_AWS_WAIT_DEADLINE: {
    kinds: infrastructure,
    description: 'Waiting for an AWS resource to be deleted passed its deadline.',
  },
  E_CHECKIP: {
    kinds: infrastructure,
    description: "This machine's public address could not be learned (for the API allow list).",
  },
  E_CLUSTER_LEASED: { kinds: usage, description: "The cluster's lease is held by another live run." },
  E_COLLECT: {
    kinds: journalOnly,
    description: 'A metric could not be fetched (journaled per metric; the report says it is missing).',
  },
  E_COMPARE_ARMS: { kinds: usage, description: '`bench compare` was given fewer than two variants.' },
  E_COMPARE_CONFIDENCE: { kinds: usage, description: '--confidence is not between 0.5 and 1.' },
  E_COMPARE_NO_SWEEP: { kinds: usage, description: 'The suite declares no sweep parameter for --sizes.' },
  E_COMPARE_NO_VARIANTS: { kinds: usage, description: 'The suite declares no variants to compare.' },
  E_COMPARE_REPEAT: { kinds: usage, description: '--repeat is not a whole number of 1 or more.' },
  E_COMPARE_RUNS: { kinds: usage, description: 'Comparing runs needs at least two of them.' },
  E_COMPARE_SIZES: {
    kinds: usage,
    description: 'No cluster sizes to compare, or --sizes is not a list of whole numbers.',
  },
  E_COMPARE_SUITES: { kinds: usage, description: 'Runs of different suites cannot be compared metric by metric.' },
  E_COMPARE_SWEEP_SET: { kinds: usage, description: '--set names the sweep parameter, which --sizes sets.' },
  E_COMPARE_THRESHOLD: { kinds: usage, description: '--threshold is not at least 0 and below 1.' },
  E_CONFIRM: { kinds: usage, description: 'A run on aws needs a yes and there is no terminal to ask (give --yes).' },
  E_CONNECT: { kinds: infrastructure, description: "The cluster's API server did not answer within the deadline." },
  E_DELAY: {
    kinds: usage,
    description: 'A local-cloud delay flag (--lb-deletion-delay, --eni-linger) is not 0 or more seconds.',
  },
  E_DURATION: {
    kinds: usage,
    description: 'A phase duration (flag or environment) is not a duration, or the active phase is 0.',
  },
  E_ENI_WAIT_DEADLINE: {
    kinds: infrastructure,
    description: "The load balancers' network interfaces were still there at the teardown deadline.",
  },
  E_FACTOR: { kinds: usage, description: '--koorde-latency-factor is not a positive number.' },
  E_GATE_FAILED: { kinds: ['gate'], description: "One or more of the suite's gates (SLOs) did not hold." },
  E_GRAFANA_NOT_READY: { kinds: infrastructure, description: "No Ready pod behind the run's Grafana Service." },
  E_IMAGE_EMPTY: { kinds: usage, description: '--image name= was given an empty reference.' },
  E_IMAGE_INVALID: {
    kinds: usage,
    description: "An image reference (the suite's or an --image) is not one the kubelet accepts.",
  },
  E_IMAGE_NOT_PRESENT: { kinds: infrastructure, description: 'A pod cannot start: its image cannot be pulled.' },
  E_IMAGE_UNKNOWN: { kinds: usage, description: '--image names an image the suite does not declare.' },
  E_INTERNAL: { kinds: ['internal'], description: 'A bug in bench: anything it did not expect.' },
  E_INTERRUPTED: { kinds: ['interrupted'], description: 'The run was interrupted (Ctrl-C); teardown has run.' },
  E_INVALID_IMAGE: { kinds: infrastructure, description: 'A pod cannot start: the kubelet refused its image name.' },
  E_JOURNAL_RECORD: {
    kinds: usage,
    description: "A journal record (the run-start record, a comparison's plan) does not match what this version reads.",
  },
  E_KUBE_API: { kinds: infrastructure, description: 'A Kubernetes API request failed.' },
  E_KUBE_CONTEXT: { kinds: infrastructure, description: 'The kubeconfig has no such context.' },
  E_KUBE_WAIT_DEADLINE: {
    kinds: infrastructure,
    description: 'Kubernetes objects were still there at the deadline of a deletion wait.',
  },
  E_LB_WAIT_DEADLINE: {
    kinds: infrastructure,
    description: "The run's load balancers were still there at the teardown deadline.",
  },
  E_LEASE_RACE: {
    kinds: infrastructure,
    description: "The cluster's lease kept changing while the run tried to take it.",
  },
  E_MANIFEST_INVALID: {
    kinds: usage,
    description: 'A suite manifest is not YAML, or a document lacks apiVersion, kind or metadata.name.',
  },
  E_MANIFEST_MISSING: { kinds: usage, description: 'A manifest the suite names does not exist.' },
  E_MANIFEST_SCHEMA: {
    kinds: usage,
    description: 'A rendered object does not validate against the Kubernetes OpenAPI schema.',
  },
  E_MAX_COST: { kinds: usage, description: "The run's estimated cost is above --max-cost." },
  E_METRICS_MISSING: {
    kinds: infrastructure,
    description: 'The report lacks metrics that could not be fetched (the files are written).',
  },
  E_NODES: { kinds: usage, description: '--nodes is out of range (at least 1; the local cloud runs 1 to 50).' },
  E_NOT_A_COMPARISON: {
    kinds: usage,
    description: 'The run is not a comparison (its journal holds no comparison plan).',
  },
  E_NOT_CONFIRMED: { kinds: usage, description: 'The cost confirmation was declined; nothing was created.' },
  E_NO_GRAFANA: { kinds: usage, description: 'The run deployed no Grafana.' },
  E_NO_PASSWORD: {
    kinds: ['usage', 'infrastructure'],
    description: "The run's Grafana has no generated password, or its Secret lacks the key.",
  },
  E_PARAM_RANGE: { kinds: usage, description: "A --set value is outside the parameter's range." },
  E_PARAM_UNDEFINED: {
    kinds: usage,
    description: 'A manifest references ${name} that is no parameter, image or built-in value.',
  },
  E_PARAM_UNKNOWN: { kinds: usage, description: '--set names a parameter the suite does not declare.' },
  E_PARAM_VALUE: { kinds: usage, description: "A --set value is not of the parameter's type." },
  E_PASSWORD_NOT_TERMINAL: { kinds: usage, description: '--show-password prints to a terminal only.' },
  E_PATCH_TARGET: { kinds: usage, description: 'A suite patch matches no rendered object.' },
  E_PLACEMENT: { kinds: infrastructure, description: "A placement assertion of the suite's verify step failed." },
  E_POD_DATA: { kinds: infrastructure, description: "Reading a pod's data (its JSON output) failed." },
  E_PORT: { kinds: usage, description: '--port is not a port from 1 to 65535 (or 0 for any free one).' },
  E_PORT_BASE: { kinds: usage, description: '--port-base is not a whole number from 1024 to 65000.' },
  E_PORT_IN_USE: { kinds: ['usage', 'infrastructure'], description: 'A local port bench needs is in use.' },
  E_PREFLIGHT: {
    kinds: infrastructure,
    description: "A preflight step failed with an error not of bench's own (the code of its `phase.failed` event).",
  },
  E_PROMETHEUS: {
    kinds: infrastructure,
    description: 'Prometheus refused a request, did not answer, or answered unlike the Prometheus API.',
  },
  E_PROMETHEUS_URL: {
    kinds: ['usage', 'infrastructure'],
    description: 'A Prometheus URL is not an http(s) base URL, or carries credentials.',
  },
  E_PROMQL: { kinds: usage, description: 'A suite query does not parse as PromQL, or Prometheus rejected it.' },
  E_REFERENCE_LEFT: { kinds: usage, description: 'A ${...} reference is left unresolved in a rendered manifest.' },
  E_RUNS_DIR: { kinds: usage, description: 'The runs directory (--runs-dir, BENCH_RUNS_DIR) cannot hold runs.' },
  E_RUN_ACTIVE: { kinds: usage, description: 'The run is still running: cleanup refuses to touch it.' },
  E_RUN_GONE: { kinds: usage, description: 'The run is torn down: its Grafana is gone.' },
  E_RUN_NO_START: { kinds: usage, description: "The run's journal has no run-start record." },
  E_RUN_UNKNOWN: { kinds: usage, description: 'No run of that id in the runs directory.' },
  E_RUN_UNREACHABLE: { kinds: infrastructure, description: "The run's cluster cannot be reached." },
  E_SANDBOX_DOWN: { kinds: infrastructure, description: 'The local cloud is not up.' },
  E_SANDBOX_NOT_INSTALLED: {
    kinds: infrastructure,
    description: "The local cloud's binaries (or kwok's stages and CRDs) are not installed.",
  },
  E_SANDBOX_PARTLY_RUNNING: { kinds: usage, description: 'A local cloud is partly running in that directory.' },
  E_SANDBOX_START: { kinds: infrastructure, description: 'The local cloud did not start.' },
  E_SANDBOX_STOP: { kinds: infrastructure, description: 'Parts of the local cloud could not be stopped.' },
  E_SCALE: { kinds: infrastructure, description: 'A workload of a kind that cannot be scaled was asked to scale.' },
  E_SUITE_INVALID: { kinds: usage, description: 'suite.yaml does not validate.' },
  E_SUITE_MISSING: { kinds: usage, description: 'No suite was given.' },
  E_SUITE_NOT_FOUND: { kinds: usage, description: 'The suite directory does not exist or holds no suite.yaml.' },
  E_SUITE_UNKNOWN: { kinds: usage, description: 'No built-in suite of that name.' },
  E_TARGET_UNKNOWN: { kinds: usage, description: 'No target of that name (aws, sandbox, kube).' },
  E_TARGET_UNSUPPORTED: { kinds: usage, description: 'The suite does not declare that target.' },
  E_TEARDOWN: { kinds: infrastructure, description: 'Teardown failed.' },
  E_TEARDOWN_LEFTOVERS: {
    kinds: ['teardown'],
    description: 'Teardown finished but resources of the run are left (listed).',
  },
  E_TEARDOWN_REGION: {
    kinds: ['teardown'],
    description: "Teardown cannot wait for the run's load balancers: the cluster's region is not known.",
  },
  E_TEARDOWN_SECURITY_GROUPS: {
    kinds: infrastructure,
    description: "The load-balancer controller's security groups could not be deleted.",
  },
  E_TOFU: { kinds: infrastructure, description: 'An OpenTofu (or Terraform) command failed.' },
  E_TOFU_DEPENDENCY_VIOLATION: {
    kinds: infrastructure,
    description: 'OpenTofu could not delete a resource that something outside the module still uses.',
  },
  E_TOFU_LOCKED: { kinds: infrastructure, description: 'Another OpenTofu run holds the state lock.' },
  E_TOFU_MISSING: {
    kinds: ['usage', 'infrastructure'],
    description: 'OpenTofu (or Terraform) is not installed or does not run.',
  },
  E_TOFU_ROLLBACK: {
    kinds: journalOnly,
    description: 'Destroying what a failed apply created failed too (journaled; cleanup removes the rest).',
  },
  E_TOFU_STILL_RUNNING: {
    kinds: infrastructure,
    description: "The run's OpenTofu was still running (or holding the state lock) at the deadline.",
  },
  E_UNSCHEDULABLE: { kinds: infrastructure, description: 'Pods of a workload cannot be scheduled.' },
  E_USAGE: { kinds: usage, description: 'Bad flags or arguments.' },
  E_VARIANT_UNKNOWN: { kinds: usage, description: 'The suite has no variant of that name.' },
  E_VAR_INVALID: { kinds: usage, description: "The OpenTofu module's validation refuses a variable." },
  E_VAR_RESERVED: { kinds: usage, description: '--var names a variable bench sets itself.' },
  E_VAR_TYPE: { kinds: usage, description: "A --var value is not of the module variable's type." },
  E_VAR_UNKNOWN: {
    kinds: usage,
    description: '--var names a variable the module does not declare, or the target provisions nothing.',
  },
  E_VERIFY_DEADLINE: { kinds: infrastructure, description: 'Workloads did not roll out within the verify deadline.' },
  E_WAIT_DEADLINE: { kinds: infrastructure, description: 'A Kubernetes wait (rollout, job) passed its deadline.' },
} as const satisfies Record<`E_${string}`, ErrorCodeEntry>;

/** A registered error code. */
export type ErrorCode = keyof typeof ERROR_CODES;

/** The codes registered for one kind: what that kind's error class accepts. */
export type CodeOf<K extends ErrorKind> = {
  [C in ErrorCode]: K extends (typeof ERROR_CODES)[C]['kinds'][number] ? C : never;
}[ErrorCode];
