import type { TargetName } from '../suite/schema.ts';

/** Rough lengths, in seconds, of a run's untimed steps on a target (from the seeds' observed timings). */
export interface StepEstimates {
  provision: number;
  connect: number;
  deploy: number;
  collect: number;
  teardown: number;
}

/**
 * What a target is, as plain data: everything that differs between targets and needs no outside
 * call. Pure (no imports beyond types) so that the report layer can ask it without reaching the
 * adapters; the behaviour that does reach outside is the {@link Target} of src/targets/target.ts.
 */
export interface TargetTraits {
  readonly name: TargetName;
  /** What the cluster is, in a report's words (`nothing (an existing cluster)`). */
  readonly description: string;
  /** Whether a run creates its cluster with OpenTofu (and destroys it again); false: nothing is provisioned. */
  readonly usesTofu: boolean;
  /**
   * Whether the run has an AWS API (AWS itself, or moto on the local cloud): ELBv2 is waited on at
   * teardown, what carries the run's tag is looked for, `bench doctor` checks the region and credentials.
   */
  readonly callsAws: boolean;
  /**
   * What a run costs. Billed: the preflight checks the region and credentials, estimates the cost
   * against --max-cost and asks for a yes, and `bench plan` prices it at AWS list prices. Not
   * billed: bench's own runs cost nothing there, and the note says why.
   */
  readonly billing: { readonly billed: true } | { readonly billed: false; readonly note: string };
  /**
   * Whether the run fills the module's `api_allowed_cidrs` with the caller's public address: the
   * cluster's API endpoint is public, so it answers this machine only.
   */
  readonly fillsApiAllowList: boolean;
  /**
   * Whether the cluster outlives the run: its namespaces must then be seen gone before teardown ends
   * (the next run must not meet them terminating); otherwise the cluster goes with the state, and
   * every object in it with the cluster.
   */
  readonly clusterOutlivesRun: boolean;
  /** Whether the cluster is reached through a kubeconfig context (--context), which `bench doctor` checks. */
  readonly reachedByContext: boolean;
  /**
   * Whether the workloads' series come from bench's own simulator (the pods run no program), so a
   * report must say its figures show the tool working, not the system under test.
   */
  readonly simulated: boolean;
  /** Why no container reports an imageID on this target, when none ever does. */
  readonly noImageIdReason: string | undefined;
  /** The default ELBv2 poll interval during teardown, in milliseconds. */
  readonly lbPollMs: number;
  /** The query step the target forces (its Prometheus scrapes that often); undefined: the suite's step. */
  readonly prometheusStepSeconds: number | undefined;
  /** What `bench plan` counts for the untimed steps. */
  readonly estimates: StepEstimates;
}

const TRAITS: { readonly [name in TargetName]: TargetTraits } = {
  aws: {
    name: 'aws',
    description: 'an EKS cluster created with OpenTofu',
    usesTofu: true,
    callsAws: true,
    billing: { billed: true },
    fillsApiAllowList: true,
    clusterOutlivesRun: false,
    reachedByContext: false,
    simulated: false,
    noImageIdReason: undefined,
    // Real ELBv2 takes minutes to delete a load balancer: polling faster only spends API calls.
    lbPollMs: 5000,
    prometheusStepSeconds: undefined,
    estimates: { provision: 900, connect: 30, deploy: 300, collect: 60, teardown: 600 },
  },
  sandbox: {
    name: 'sandbox',
    description: 'the local cloud',
    usesTofu: true,
    callsAws: true,
    billing: { billed: false, note: 'the local cloud costs nothing' },
    fillsApiAllowList: false,
    clusterOutlivesRun: true,
    reachedByContext: false,
    simulated: true,
    noImageIdReason: "the local cloud's kwok nodes run no container runtime and report no imageID",
    // moto answers at once.
    lbPollMs: 1000,
    // The local cloud's Prometheus scrapes every second.
    prometheusStepSeconds: 1,
    estimates: { provision: 30, connect: 5, deploy: 60, collect: 15, teardown: 60 },
  },
  kube: {
    name: 'kube',
    description: 'an existing cluster',
    usesTofu: false,
    callsAws: false,
    billing: {
      billed: false,
      note: 'an existing cluster is billed to its owner; bench adds only its LoadBalancer services',
    },
    fillsApiAllowList: false,
    clusterOutlivesRun: true,
    reachedByContext: true,
    simulated: false,
    noImageIdReason: undefined,
    lbPollMs: 1000,
    prometheusStepSeconds: undefined,
    estimates: { provision: 0, connect: 5, deploy: 120, collect: 30, teardown: 120 },
  },
};

/**
 * The traits of a target by name. A name read from a journal is any string: one that names no
 * target has no traits (undefined), and callers then say what they say of no particular target.
 */
export function targetTraits(name: TargetName): TargetTraits;
export function targetTraits(name: string): TargetTraits | undefined;
export function targetTraits(name: string): TargetTraits | undefined {
  return Object.hasOwn(TRAITS, name) ? TRAITS[name as TargetName] : undefined;
}
