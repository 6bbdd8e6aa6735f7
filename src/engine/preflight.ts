import { createAwsIdentity, createPublicAddressProbe, type AwsIdentity, type CallerIdentity } from '../adapters/aws.ts';
import type { PublicAddressProbe } from '../adapters/aws.ts';
import { createToolProbe, type TofuBinary, type ToolProbe } from '../adapters/tools.ts';
import type { BenchError } from '../errors.ts';
import { InfrastructureError, InterruptedError, isBenchError, UsageError } from '../errors.ts';
import { API_ALLOWED_CIDRS, declaresVariable } from '../phases/provision.ts';
import type { EventBus } from '../run/events.ts';
import { targetFor } from '../targets/index.ts';
import type { TargetSetup } from '../targets/target.ts';
import { planRun, type PlanOptions } from './plan.ts';

const PHASE = 'preflight';

/**
 * Asks the person at the terminal a yes/no question (the command hands one in when there is a
 * terminal; the engine never prints). Resolves true for yes; rejects when the signal aborts.
 */
export type Confirm = (question: string, signal?: AbortSignal) => Promise<boolean>;

/** The outside world the preflight asks; a test hands in local servers or recorders. */
export interface PreflightAdapters {
  tools: ToolProbe;
  aws: AwsIdentity;
  publicAddress: PublicAddressProbe;
}

/** A run's estimated cost, as the preflight shows it and --max-cost checks it. */
export interface CostEstimate {
  currency: 'USD';
  perHour: number;
  /** For the whole run: provisioning, every load phase (of every trial), teardown. */
  total: number;
  wallClockSeconds: number;
  note: string;
}

/** What `bench run` / `bench compare` decided about the checks before anything exists. */
export interface PreflightOptions {
  /** Skip the confirmation question (`--yes`). */
  yes?: boolean;
  /** Refuse a run whose estimate for the whole run is above this many USD (`--max-cost`). */
  maxCost?: number;
  /** The terminal's question; undefined when no person is there (then only --yes runs on aws). */
  confirm?: Confirm;
  /** Replaces the real adapters (tests). */
  adapters?: Partial<PreflightAdapters>;
}

export interface PreflightInput extends PreflightOptions {
  setup: TargetSetup;
  /** The target's root module (aws, sandbox); undefined on an existing cluster. */
  moduleDir: string | undefined;
  /** `--var` as given: an `api_allowed_cidrs` there is not asked for. */
  variables: Record<string, string> | undefined;
  /** The run's cost estimate (asked on aws only). */
  estimate: () => Promise<CostEstimate>;
  events: EventBus;
  signal?: AbortSignal;
}

/** What the preflight found, for the run to use and journal. */
export interface PreflightResult {
  tofu: TofuBinary | undefined;
  identity: CallerIdentity | undefined;
  /** The EKS API server's allow-list the run fills in (aws, when the module takes it and --var did not). */
  apiAllowedCidrs: string[] | undefined;
  cost: CostEstimate | undefined;
}

/** `eu-central-1`, `us-gov-west-1`, `cn-north-1`: the shape of every AWS region name. */
const REGION = /^[a-z]{2}(-[a-z]+)+-\d{1,2}$/;

/**
 * The checks before anything is created or paid for (DESIGN.md, Lifecycle: preflight): the tofu
 * binary; on aws the region, the credentials (STS GetCallerIdentity through the SDK's default
 * chain), the caller's public address for the API server's allow-list, the cost estimate against
 * --max-cost, and the person's confirmation (or --yes). Every failure is thrown before the run
 * directory exists; on aws a missing credential or confirmation is a UsageError (exit 2).
 */
export async function runPreflight(input: PreflightInput): Promise<PreflightResult> {
  const { setup, events } = input;
  const target = targetFor(setup.target);
  const adapters: PreflightAdapters = {
    tools: input.adapters?.tools ?? createToolProbe(setup.env),
    aws: input.adapters?.aws ?? createAwsIdentity(setup.env),
    publicAddress: input.adapters?.publicAddress ?? createPublicAddressProbe(setup.env),
  };
  events.emit('info', PHASE, 'phase.start', `checking ${setup.target} before anything is created`);
  try {
    const result: PreflightResult = {
      tofu: undefined,
      identity: undefined,
      apiAllowedCidrs: undefined,
      cost: undefined,
    };
    if (target.usesTofu) result.tofu = await selectTofu(setup, adapters.tools, events, input.signal);
    if (target.billing.billed) {
      const region = checkRegion(setup.region);
      result.identity = await checkCredentials(adapters.aws, region, setup.env, input.signal);
      events.emit(
        'info',
        PHASE,
        'preflight.credentials',
        `AWS account ${result.identity.account} (${result.identity.arn})`,
        {
          account: result.identity.account,
          arn: result.identity.arn,
          region,
        },
      );
      if (target.fillsApiAllowList) result.apiAllowedCidrs = await allowedCidrs(input, adapters.publicAddress);
      result.cost = await input.estimate();
      checkCost(result.cost, input.maxCost, events);
      await confirmRun(input, result.cost, region);
    }
    // The live view keeps only a phase's last word: on aws it says what the run will cost, and where.
    const ready =
      result.identity && result.cost
        ? `ready: account ${result.identity.account} in ${setup.region}, estimated about $${result.cost.total.toFixed(2)} for the whole run`
        : 'ready';
    events.emit('info', PHASE, 'phase.end', ready);
    return result;
  } catch (err) {
    const e = isBenchError(err) ? err : new InfrastructureError('E_PREFLIGHT', (err as Error).message);
    events.emit('error', PHASE, 'phase.failed', e.message, { code: e.code });
    throw err;
  }
}

/**
 * The tofu a run uses. The local cloud always runs its own pinned OpenTofu (a BENCH_TOFU_BIN
 * counts only when it is that same OpenTofu, e.g. a wrapper around it); on aws BENCH_TOFU_BIN,
 * else `tofu`, else — with a warning — `terraform`.
 */
export async function selectTofu(
  setup: TargetSetup,
  tools: ToolProbe,
  events: EventBus,
  signal?: AbortSignal,
): Promise<TofuBinary> {
  const deadline = () =>
    signal ? AbortSignal.any([signal, AbortSignal.timeout(30_000)]) : AbortSignal.timeout(30_000);
  const pinnedPath = targetFor(setup.target).pinnedTofu(setup.env);
  if (pinnedPath) {
    const pinned = await tools.probeTofu(pinnedPath, deadline());
    if (!pinned || pinned.name !== 'tofu') {
      throw new UsageError('E_TOFU_MISSING', `the local cloud's OpenTofu is not installed (${pinnedPath})`, {
        fix: 'run `bash test/harness/install.sh tofu` (the local cloud never uses another tofu or terraform)',
      });
    }
    const given = setup.env.BENCH_TOFU_BIN;
    if (given && given !== pinnedPath) {
      const other = await tools.probeTofu(given, deadline());
      if (other?.name === 'tofu' && other.version === pinned.version) return { ...other, name: 'tofu' };
      events.emit(
        'warn',
        PHASE,
        'preflight.tofu',
        `BENCH_TOFU_BIN=${given} is ${other ? `${other.name === 'tofu' ? 'OpenTofu' : 'Terraform'} ${other.version}` : 'not runnable'}, not the local cloud's OpenTofu ${pinned.version}: using ${pinnedPath}`,
      );
    }
    return pinned;
  }
  const found = await tools.findTofu(deadline());
  if (!found) {
    throw new UsageError(
      'E_TOFU_MISSING',
      setup.env.BENCH_TOFU_BIN
        ? `BENCH_TOFU_BIN=${setup.env.BENCH_TOFU_BIN} is neither OpenTofu nor Terraform, or does not run`
        : 'neither tofu nor terraform runs from PATH',
      {
        fix: 'install OpenTofu (https://opentofu.org/docs/intro/install/) or run `bash test/harness/install.sh tofu`; BENCH_TOFU_BIN may name the binary',
      },
    );
  }
  if (found.name === 'terraform') {
    events.emit(
      'warn',
      PHASE,
      'preflight.tofu',
      `no OpenTofu found: using Terraform ${found.version} (${found.path}); bench is made for and tested with OpenTofu (set BENCH_TOFU_BIN or put tofu on PATH)`,
      { binary: found.path, kind: found.name, version: found.version },
    );
  } else {
    events.emit('info', PHASE, 'preflight.tofu', `OpenTofu ${found.version} (${found.path})`);
  }
  return found;
}

function checkRegion(region: string | undefined): string {
  if (!region || !REGION.test(region)) {
    throw new UsageError(
      'E_AWS_REGION',
      region ? `'${region}' is not an AWS region name` : 'no AWS region for the run',
      { fix: "give the suite's aws target a region such as eu-central-1 (targets.aws.region in suite.yaml)" },
    );
  }
  return region;
}

/** STS GetCallerIdentity; missing or refused credentials are the user's to fix (exit 2). */
export async function checkCredentials(
  aws: AwsIdentity,
  region: string | undefined,
  env: NodeJS.ProcessEnv,
  signal?: AbortSignal,
): Promise<CallerIdentity> {
  const deadline = AbortSignal.timeout(20_000);
  try {
    return await aws.getCallerIdentity(region, signal ? AbortSignal.any([signal, deadline]) : deadline);
  } catch (err) {
    if (signal?.aborted) throw new InterruptedError('interrupted while checking the AWS credentials');
    throw credentialError(err, region, env, deadline.aborted);
  }
}

/** The fix for each way GetCallerIdentity fails. */
function credentialError(
  err: unknown,
  region: string | undefined,
  env: NodeJS.ProcessEnv,
  timedOut: boolean,
): BenchError {
  const e = err as { name?: string; message?: string; code?: string; $metadata?: { httpStatusCode?: number } };
  const reason = oneLine(err);
  const fix =
    'configure credentials the AWS way: AWS_PROFILE (and `aws sso login` for SSO), ~/.aws/credentials, or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY; `bench doctor` checks them';
  if (e?.name === 'CredentialsProviderError' || /could not load credentials/i.test(reason)) {
    return new UsageError('E_AWS_CREDENTIALS', `no AWS credentials found: ${reason}`, { fix });
  }
  // The service answered: the keys are wrong, expired or not allowed.
  if (e?.$metadata?.httpStatusCode !== undefined && !timedOut) {
    return new UsageError('E_AWS_CREDENTIALS', `AWS refused the credentials (STS GetCallerIdentity): ${reason}`, {
      fix,
    });
  }
  const endpoint = env.AWS_ENDPOINT_URL ?? `STS in ${region ?? 'the default region'}`;
  return new InfrastructureError(
    'E_AWS_UNREACHABLE',
    `could not reach ${endpoint}: ${timedOut ? 'no answer within 20s' : reason}`,
    {
      fix: 'check the network (and a proxy or AWS_ENDPOINT_URL, if one is set), then run again; `bench doctor` checks the same',
    },
  );
}

/** The EKS endpoint's allow-list: the --var as given, else the caller's address as a /32. */
async function allowedCidrs(input: PreflightInput, probe: PublicAddressProbe): Promise<string[] | undefined> {
  if (!input.moduleDir || !(await declaresVariable(input.moduleDir, API_ALLOWED_CIDRS))) return undefined;
  if (input.variables?.[API_ALLOWED_CIDRS] !== undefined) return undefined;
  const deadline = AbortSignal.timeout(15_000);
  let address: string;
  try {
    address = await probe.getPublicAddress(input.signal ? AbortSignal.any([input.signal, deadline]) : deadline);
  } catch (err) {
    if (input.signal?.aborted) throw new InterruptedError('interrupted while asking for the public address');
    throw new InfrastructureError('E_CHECKIP', `could not learn this machine's public address: ${oneLine(err)}`, {
      fix: `give the API server's allow-list yourself, e.g. --var '${API_ALLOWED_CIDRS}=["203.0.113.7/32"]'`,
    });
  }
  const cidrs = [`${address}/32`];
  input.events.emit(
    'info',
    PHASE,
    'preflight.api-allowed-cidrs',
    `the cluster's API endpoint will answer ${cidrs.join(', ')} only (--var ${API_ALLOWED_CIDRS}=... to change)`,
    { cidrs },
  );
  return cidrs;
}

function checkCost(cost: CostEstimate, maxCost: number | undefined, events: EventBus): void {
  const hours = cost.wallClockSeconds / 3600;
  events.emit(
    'info',
    PHASE,
    'preflight.cost',
    `estimated cost: about $${cost.total.toFixed(2)} for the whole run ($${cost.perHour.toFixed(2)}/h for ~${hours.toFixed(1)} h; ${cost.note})`,
    { ...cost, maxCost },
  );
  if (maxCost !== undefined && cost.total > maxCost) {
    throw new UsageError(
      'E_MAX_COST',
      `the run's estimated cost, $${cost.total.toFixed(2)}, is above --max-cost ${maxCost}`,
      {
        fix: 'raise --max-cost, or make the run cheaper: shorter phases (--ramp, --active, --cooldown), fewer nodes (--nodes) or fewer sizes and repetitions; `bench plan` shows the estimate',
        data: { estimate: cost.total, maxCost },
      },
    );
  }
}

async function confirmRun(input: PreflightInput, cost: CostEstimate, region: string): Promise<void> {
  if (input.yes) return;
  if (!input.confirm) {
    throw new UsageError(
      'E_CONFIRM',
      `a run on aws (about $${cost.total.toFixed(2)}) needs a yes, and there is no terminal to ask`,
      { fix: 'add --yes to run without asking (and --max-cost USD to cap what it may cost)' },
    );
  }
  const hours = cost.wallClockSeconds / 3600;
  const question = `Create the cluster in ${region} and run (about $${cost.total.toFixed(2)}: $${cost.perHour.toFixed(2)}/h for ~${hours.toFixed(1)} h)?`;
  input.events.emit('info', PHASE, 'preflight.confirm', `${question} [y/N]`);
  let yes: boolean;
  try {
    yes = await input.confirm(question, input.signal);
  } catch (err) {
    if (input.signal?.aborted) throw new InterruptedError('interrupted at the confirmation: nothing was created');
    throw err;
  }
  if (!yes) {
    throw new UsageError('E_NOT_CONFIRMED', 'not confirmed: nothing was created', {
      fix: 'run again and answer y, or add --yes',
    });
  }
}

function oneLine(err: unknown): string {
  const e = err as { name?: string; message?: string; code?: string };
  const text = e?.message || e?.code || e?.name || String(err);
  return text.split('\n')[0] ?? text;
}

/**
 * The estimate for the whole run, from `bench plan`'s: the same prices and steps; a comparison
 * runs its load phases once per round (`loadRounds`: its trials, times its arms when sequential).
 */
export async function estimateRunCost(options: PlanOptions, loadRounds?: number): Promise<CostEstimate> {
  const plan = await planRun({ ...options, outDir: undefined });
  const { perHour, note } = plan.cost;
  if (loadRounds === undefined) {
    return { currency: 'USD', perHour, total: plan.cost.total, wallClockSeconds: plan.wallClockSeconds, note };
  }
  const once = plan.phases.reduce((sum, p) => sum + p.seconds, 0);
  const fixed = plan.timeline.filter((s) => s.estimated).reduce((sum, s) => sum + s.seconds, 0);
  const wallClockSeconds = fixed + loadRounds * once;
  return {
    currency: 'USD',
    perHour,
    total: Math.round((perHour * wallClockSeconds) / 36) / 100,
    wallClockSeconds,
    note,
  };
}
