import { SuiteError, UsageError } from '../errors.ts';
import { resolveModuleDir } from '../phases/provision.ts';
import { checkModuleValidation, findCheckTofu } from './module-check.ts';
import { checkImages } from '../suite/check-images.ts';
import { kubeSchemaFor } from '../suite/kube-schema.ts';
import { loadSuite, type LoadedSuite } from '../suite/load.ts';
import { readModuleVariables, typeVariableValue } from '../suite/module-variables.ts';
import { resolvePhaseDurations, type PhaseDurationFlags, type PhaseDurations } from '../suite/phases.ts';
import { promqlSyntaxError } from '../suite/promql.ts';
import { renderManifests, resolveParams, resolveQuery, type RenderedObject } from '../suite/render.ts';
import { TARGETS, type TargetName } from '../suite/schema.ts';

/** What a run is asked for, as `bench plan` and `bench run` share it. */
export interface RunInputs {
  suite: string;
  target: TargetName;
  durations?: PhaseDurationFlags;
  /** `--set name=value` parameter overrides. */
  params?: Record<string, string>;
  /** `--image name=ref` overrides. */
  images?: Record<string, string>;
  /** Node count override (the node group's size). */
  nodes?: number;
  /** `--var name=value`: OpenTofu variables of the target's module. */
  variables?: Record<string, string>;
  /** `--prometheus-url`: a Prometheus-compatible endpoint instead of the suite's. */
  prometheusUrl?: string;
  cwd?: string;
  env?: NodeJS.ProcessEnv;
}

/** The inputs checked: the suite loaded, the durations resolved, the manifests rendered. */
export interface CheckedInputs {
  loaded: LoadedSuite;
  durations: PhaseDurations;
  objects: RenderedObject[];
  /** `--var` values typed by the module's declarations (empty for a target without a module). */
  variables: Record<string, unknown>;
  /** What the checks found worth saying that does not stop the run (moving image tags, unchecked objects). */
  warnings: string[];
  /** The Kubernetes release whose OpenAPI schema the objects were validated against. */
  kubernetesSchema: { release: string; exact: boolean };
}

/** Module variables bench sets itself; a `--var` for one would be overwritten or would break ownership. */
const RESERVED_VARIABLES = ['run_id', 'expires_at', 'region', 'cluster_name'];

/**
 * Checks everything a user gave before anything is created: target, node count, suite, phase
 * durations, parameters and images (by rendering the manifests), every image reference, every
 * rendered object against the target's Kubernetes OpenAPI schema, every PromQL query, and the
 * `--var` values against the module's variable types. Bad input is a UsageError (exit 2).
 */
export async function checkRunInputs(inputs: RunInputs, runId = 'plan'): Promise<CheckedInputs> {
  if (!TARGETS.includes(inputs.target)) {
    throw new UsageError('E_TARGET_UNKNOWN', `unknown target '${inputs.target}'`, {
      fix: `use one of: ${TARGETS.join(', ')}`,
    });
  }
  if (inputs.nodes !== undefined && (!Number.isInteger(inputs.nodes) || inputs.nodes < 1)) {
    throw new UsageError('E_NODES', `--nodes ${inputs.nodes}: a cluster needs at least one node`, {
      fix: 'give --nodes a whole number of 1 or more',
    });
  }
  if (inputs.prometheusUrl !== undefined) checkPrometheusUrl(inputs.prometheusUrl);
  const loaded = loadSuite(inputs.suite, inputs.cwd);
  const targetSpec = loaded.suite.targets[inputs.target];
  if (!targetSpec) {
    throw new UsageError(
      'E_TARGET_UNSUPPORTED',
      `suite ${loaded.suite.name} does not declare the target '${inputs.target}'`,
      {
        fix: `use one of: ${TARGETS.filter((t) => loaded.suite.targets[t]).join(', ')}`,
      },
    );
  }
  const durations = resolvePhaseDurations(loaded.suite, inputs.durations, inputs.env ?? process.env);
  const objects = renderManifests(loaded, {
    target: inputs.target,
    runId,
    overrides: inputs.params ?? {},
    images: inputs.images ?? {},
  });
  const variables =
    'module' in targetSpec
      ? await checkVariables(inputs.variables ?? {}, resolveModuleDir(loaded, targetSpec.module))
      : checkNoVariables(inputs.variables ?? {}, inputs.target);
  if ('module' in targetSpec)
    await checkModuleRules(
      resolveModuleDir(loaded, targetSpec.module),
      {
        ...targetSpec.variables,
        ...(inputs.nodes === undefined ? {} : { node_count: inputs.nodes }),
        ...variables,
      },
      inputs.env ?? process.env,
    );
  const warnings = checkImages(objects, new Set(Object.values(inputs.images ?? {})));
  checkQueries(loaded, inputs);
  const version =
    'module' in targetSpec ? String(variables.kubernetes_version ?? targetSpec.variables.kubernetes_version ?? '') : '';
  const { schema, exact } = kubeSchemaFor(version || undefined);
  warnings.push(...checkObjectSchemas(objects, schema));
  if (!exact) {
    warnings.push(
      version
        ? `no OpenAPI schema of Kubernetes ${version} is vendored: the manifests were validated against ${schema.release}'s`
        : `the cluster's Kubernetes version is not known before the run: the manifests were validated against ${schema.release}'s`,
    );
  }
  return { loaded, durations, objects, variables, warnings, kubernetesSchema: { release: schema.release, exact } };
}

/**
 * The suite's and the user's module variables against the module's own validation rules,
 * evaluated by OpenTofu (see checkModuleValidation); skipped, with the rules left to the run's
 * `tofu apply`, when no tofu is on this machine yet.
 */
async function checkModuleRules(moduleDir: string, given: Record<string, unknown>, env: NodeJS.ProcessEnv) {
  const binary = findCheckTofu(env);
  if (!binary) return;
  await checkModuleValidation({ moduleDir, variables: given, binary, env });
}

async function checkVariables(values: Record<string, string>, moduleDir: string): Promise<Record<string, unknown>> {
  if (Object.keys(values).length === 0) return {};
  const declared = await readModuleVariables(moduleDir);
  const out: Record<string, unknown> = {};
  for (const [name, raw] of Object.entries(values)) {
    const variable = declared.find((v) => v.name === name);
    if (!variable) {
      throw new UsageError('E_VAR_UNKNOWN', `--var ${name}: the module ${moduleDir} has no variable '${name}'`, {
        fix: `use one of: ${declared
          .map((v) => v.name)
          .filter((n) => !RESERVED_VARIABLES.includes(n))
          .join(', ')}`,
      });
    }
    if (RESERVED_VARIABLES.includes(name)) {
      throw new UsageError('E_VAR_RESERVED', `--var ${name}: bench sets this variable itself`, {
        fix: 'leave it out; the run id and its expiry identify what the run owns',
      });
    }
    out[name] = typeVariableValue(variable, raw);
  }
  return out;
}

function checkNoVariables(values: Record<string, string>, target: TargetName): Record<string, unknown> {
  const [first] = Object.keys(values);
  if (first !== undefined) {
    throw new UsageError(
      'E_VAR_UNKNOWN',
      `--var ${first}: the ${target} target provisions nothing, so it takes no --var`,
      {
        fix: 'leave --var out, or choose a target with a module (aws, sandbox)',
      },
    );
  }
  return {};
}

/** Every PromQL query, with the run's parameters in it, parsed by Prometheus's grammar. */
function checkQueries(loaded: LoadedSuite, inputs: RunInputs): void {
  const params = resolveParams(loaded.suite, inputs.target, inputs.params ?? {});
  loaded.suite.metrics.forEach((metric, i) => {
    if (metric.query === undefined) return;
    const where = `${loaded.file}: metrics[${i}] (${metric.name}).query`;
    const query = resolveQuery(metric.query, params, where);
    const error = promqlSyntaxError(query);
    if (error) {
      throw new SuiteError(
        'E_PROMQL',
        `${where}: the query does not parse as PromQL at character ${error.offset + 1}: ${error.marked}`,
        {
          fix: 'fix the expression (try it in the Prometheus UI); parameters such as ${rateWindow} are filled in before it is parsed',
        },
      );
    }
  });
}

/** Every rendered object against the Kubernetes OpenAPI schema; problems are an error, custom resources a warning. */
function checkObjectSchemas(
  objects: readonly RenderedObject[],
  schema: ReturnType<typeof kubeSchemaFor>['schema'],
): string[] {
  const problems: string[] = [];
  const unchecked = new Set<string>();
  for (const { source, object } of objects) {
    const result = schema.validate(object);
    if (!result.checked) {
      unchecked.add(`${object.apiVersion} ${object.kind}`);
      continue;
    }
    const name = `${object.kind} ${object.metadata.namespace ? `${object.metadata.namespace}/` : ''}${object.metadata.name}`;
    for (const p of result.problems)
      problems.push(`${source}: ${name}${p.path ? ` ${p.path}` : ''}: ${p.message}${p.fix ? ` (${p.fix})` : ''}`);
  }
  if (problems.length > 0) {
    throw new SuiteError(
      'E_MANIFEST_SCHEMA',
      `${problems.length === 1 ? 'a rendered object does' : `${problems.length} fields of the rendered objects do`} not validate against the OpenAPI schema of Kubernetes ${schema.release}:\n  ${problems.join('\n  ')}`,
      { fix: 'correct the manifests (or the --set values that fill them) at the fields named' },
    );
  }
  return [...unchecked].map(
    (gvk) => `${gvk} is a custom resource: its objects are validated by the cluster, against its CRD, when deployed`,
  );
}

/**
 * A `--prometheus-url` the run can read from: http or https with a host, and no credentials in it
 * (the run journal records the endpoint, and no secret is ever written there). Checked before
 * anything exists, not after a whole run that then has nowhere to read its metrics from.
 */
export function checkPrometheusUrl(text: string): URL {
  let url: URL | undefined;
  try {
    url = new URL(text);
  } catch {
    url = undefined;
  }
  const fix = 'give the base URL of a Prometheus-compatible HTTP API, e.g. --prometheus-url http://thanos-query:9090';
  if (!url || !['http:', 'https:'].includes(url.protocol) || url.hostname === '') {
    throw new UsageError(
      'E_PROMETHEUS_URL',
      `--prometheus-url ${text}: not an http(s) URL${url ? ` (its scheme is ${url.protocol.replace(/:$/, '')})` : ''}`,
      { fix },
    );
  }
  if (url.username !== '' || url.password !== '') {
    throw new UsageError(
      'E_PROMETHEUS_URL',
      `--prometheus-url: the URL carries credentials (${url.protocol}//***@${url.host}); bench records the endpoint in the run journal and never stores a secret`,
      { fix: 'give the URL without user and password (e.g. through a local authenticating proxy or a port-forward)' },
    );
  }
  if (url.search !== '' || url.hash !== '') {
    throw new UsageError('E_PROMETHEUS_URL', `--prometheus-url ${text}: a base URL has no query or fragment`, { fix });
  }
  return url;
}
