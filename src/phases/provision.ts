import { existsSync } from 'node:fs';
import { hostname } from 'node:os';
import { isAbsolute, join, resolve } from 'node:path';
import { createTofu, type Tofu, type TofuProgress, type TofuRunOptions } from '../adapters/tofu.ts';
import type { BenchError } from '../errors.ts';
import { InfrastructureError, isBenchError, UsageError } from '../errors.ts';
import { PACKAGE_ROOT } from '../paths.ts';
import { readModuleVariables } from '../suite/module-variables.ts';
import { cidrProblem } from '../suite/param-types.ts';
import type { EventBus } from '../run/events.ts';
import type { Journal } from '../run/journal.ts';
import { targetFor } from '../targets/index.ts';
import type { TargetSetup } from '../targets/target.ts';
import { targetTraits } from '../targets/traits.ts';
import type { LoadedSuite } from '../suite/load.ts';
import { beginPhase } from './record.ts';

const PHASE = 'provision';

/** The OpenTofu side of a run: module, working directory, variables, binary. */
export interface TofuPlan {
  moduleDir: string;
  workDir: string;
  binary: string;
  variables: Record<string, unknown>;
}

/** The outputs every target module has (infra/aws and infra/sandbox alike), sorted. */
export const MODULE_OUTPUTS = [
  'cluster_certificate_authority_data',
  'cluster_endpoint',
  'cluster_name',
  'ecr_repository_url',
  'kubernetes_version',
  'region',
  'run_id',
] as const;

/** The module's outputs the rest of the run uses (the contract of infra/aws and infra/sandbox). */
export interface ClusterOutputs {
  clusterName: string;
  region: string;
  endpoint: string;
  /** Base64 PEM of the API server's CA. Public, but long: never journaled. */
  caData: string;
  ecrRepositoryUrl: string;
}

/** Finds a suite's module: relative to the suite directory when it is there, else to the tool. */
export function resolveModuleDir(loaded: LoadedSuite, module: string): string {
  if (isAbsolute(module)) return module;
  const local = resolve(loaded.dir, module);
  return existsSync(local) ? local : resolve(PACKAGE_ROOT, module);
}

/**
 * The variables a run passes to the module: the suite's, the run's identity (cluster name made
 * unique by the run id, run id, expiry), and on the local cloud where its API server is.
 */
export function tofuVariables(
  loaded: LoadedSuite,
  setup: TargetSetup,
  runId: string,
  expiresAt: Date,
  overrides: {
    nodes?: number;
    /** `--var` values, checked and typed against the module's declarations by checkRunInputs. */
    variables?: Record<string, unknown>;
    /** The EKS endpoint's allow-list the preflight determined (the caller's /32), unless --var gave one. */
    apiAllowedCidrs?: string[];
  } = {},
): Record<string, unknown> {
  const spec = loaded.suite.targets[setup.target];
  if (!spec || !('module' in spec)) throw new Error(`target ${setup.target} has no module`);
  const base = String(spec.variables.cluster_name ?? loaded.suite.name);
  const variables: Record<string, unknown> = {
    ...spec.variables,
    cluster_name: `${base}-${runId.split('-').slice(-3).join('-')}`.slice(0, 90),
    region: spec.region,
    run_id: runId,
    expires_at: expiresAt.toISOString().replace(/\.\d{3}Z$/, 'Z'),
    ...(overrides.nodes === undefined ? {} : { node_count: overrides.nodes }),
    ...(overrides.apiAllowedCidrs ? { api_allowed_cidrs: overrides.apiAllowedCidrs } : {}),
    ...overrides.variables,
  };
  const givenCidrs = overrides.variables?.[API_ALLOWED_CIDRS];
  if (givenCidrs !== undefined) {
    // Each entry checked: EKS takes IPv4 blocks with their host bits zero.
    variables[API_ALLOWED_CIDRS] = parseCidrList(givenCidrs as string | string[]);
  }
  return { ...variables, ...targetFor(setup.target).moduleVariables(setup) };
}

/**
 * An allow-list given on the command line: a JSON/HCL list (`["1.2.3.4/32"]`) or CIDRs separated
 * by commas. Each entry must be a CIDR block (the module's validation says so too, but only after
 * the run directory exists).
 */
export function parseCidrList(text: string | readonly string[]): string[] {
  let entries: unknown;
  if (Array.isArray(text)) entries = text;
  else {
    const trimmed = (text as string).trim();
    try {
      entries = trimmed.startsWith('[') ? JSON.parse(trimmed) : trimmed.split(',').map((c) => c.trim());
    } catch {
      entries = undefined;
    }
  }
  const list = Array.isArray(entries) ? entries : [];
  const bad = list.filter((c) => typeof c !== 'string' || !isCidr(c));
  if (list.length === 0 || bad.length > 0) {
    throw new UsageError(
      'E_VAR_TYPE',
      `--var api_allowed_cidrs=${text}: expected IPv4 CIDR blocks such as 203.0.113.7/32 (host bits zero)`,
      {
        fix: `write e.g. --var api_allowed_cidrs=203.0.113.7/32,198.51.100.0/24 or --var 'api_allowed_cidrs=["203.0.113.7/32"]'`,
      },
    );
  }
  return list as string[];
}

/** `a.b.c.d/n` with its host bits zero, the IPv4 block EKS takes for its public endpoint's allow-list. */
export function isCidr(text: string): boolean {
  return /^\d{1,3}(\.\d{1,3}){3}\/\d{1,2}$/.test(text) && cidrProblem(text) === undefined;
}

/** The module variable that holds the EKS endpoint's allow-list (infra/aws). */
export const API_ALLOWED_CIDRS = 'api_allowed_cidrs';

/**
 * What `bench plan` shows for the variables the run determines at preflight, without asking
 * anything: the EKS endpoint's allow-list as given (checked), or what the run will fill in.
 */
export async function plannedRunTimeVariables(
  target: string,
  moduleDir: string,
  given: Record<string, string> | undefined,
): Promise<Record<string, unknown>> {
  const value = given?.[API_ALLOWED_CIDRS];
  if (value !== undefined) return { [API_ALLOWED_CIDRS]: parseCidrList(value) };
  if (!targetTraits(target)?.fillsApiAllowList || !(await declaresVariable(moduleDir, API_ALLOWED_CIDRS))) return {};
  return { [API_ALLOWED_CIDRS]: "<caller's public address>/32, determined at run time" };
}

/** Whether a module declares a variable (read with the HCL parser, as `--var` is checked). */
export async function declaresVariable(moduleDir: string, name: string): Promise<boolean> {
  return (await readModuleVariables(moduleDir)).some((v) => v.name === name);
}

export interface ProvisionInput {
  runId: string;
  /** The command that removes what the run created, as fixes name it (default `bench cleanup <run-id>`). */
  cleanupCommand?: string;
  tofuPlan: TofuPlan;
  setup: TargetSetup;
  journal: Journal;
  events: EventBus;
  signal?: AbortSignal;
  /** Builds the OpenTofu adapter (default: the real one). */
  createTofu?: (options: TofuRunOptions) => Tofu;
}

export interface Provisioned {
  outputs: ClusterOutputs;
  tofu: Tofu;
}

/**
 * Builds the OpenTofu adapter of a run (also used by cleanup, from the journal). With a journal,
 * each tofu subprocess is recorded as it starts (a `note` "tofu apply started" with its pid, command,
 * binary, host and output file): tofu runs detached and may outlive a killed bench, and
 * `bench cleanup` and `bench list` look for it there.
 */
export function runTofu(
  plan: TofuPlan,
  env: NodeJS.ProcessEnv,
  events: EventBus,
  signal?: AbortSignal,
  journal?: Journal,
  create: (options: TofuRunOptions) => Tofu = createTofu,
): Tofu {
  let last = '';
  // destroy belongs to teardown; init, plan and apply to provisioning.
  const phaseOf = (command: TofuProgress['command']) => (command === 'destroy' ? 'teardown' : PHASE);
  return create({
    moduleDir: plan.moduleDir,
    workDir: plan.workDir,
    binary: plan.binary,
    env,
    signal,
    onStart: journal
      ? (p) =>
          journal.append({
            type: 'note',
            phase: p.command === 'destroy' ? 'teardown' : PHASE,
            message: `tofu ${p.command} started`,
            data: {
              tofuPid: p.pid,
              command: p.command,
              binary: plan.binary,
              workDir: plan.workDir,
              host: hostname(),
              stdout: p.stdoutPath,
            },
          })
      : undefined,
    onProgress: (p: TofuProgress) => {
      // A new resource or count is news for the log; a provisioner's chatter only for the live view.
      const key = `${p.command} ${p.done}/${p.total} ${p.current}`;
      const level = key === last ? 'debug' : 'info';
      last = key;
      events.emit(level, phaseOf(p.command), 'tofu.progress', progressLine(p), {
        command: p.command,
        done: p.done,
        total: p.total,
        current: p.current,
        elapsedSeconds: p.elapsedSeconds,
      });
    },
    // A destroy's warnings are teardown's, like its progress.
    onDiagnostic: (d) =>
      events.emit(
        d.severity === 'error' ? 'error' : 'warn',
        d.command === 'destroy' ? 'teardown' : PHASE,
        'tofu.diagnostic',
        `${d.summary}${d.detail ? `: ${d.detail.split('\n')[0]}` : ''}`,
      ),
  });
}

function progressLine(p: TofuProgress): string {
  const count = p.total === undefined ? `${p.done}` : `${p.done}/${p.total}`;
  return `tofu ${p.command} ${count}${p.current ? ` ${p.current}` : ''} (${Math.round(p.elapsedSeconds)}s)${p.message ? `: ${p.message}` : ''}`;
}

/**
 * `tofu init` + `apply` of the target's module, the state recorded in the journal before
 * anything is created. A failed apply destroys what it had created, then fails (exit 3).
 */
export async function provision(input: ProvisionInput): Promise<Provisioned> {
  const { journal, events, tofuPlan } = input;
  const phase = beginPhase(journal, events, PHASE, `tofu apply of ${tofuPlan.moduleDir}`);
  const { api_server_ca_data: _ca, ...shown } = tofuPlan.variables;
  journal.append({
    type: 'resource-created',
    resource: {
      kind: 'tofu-state',
      id: tofuPlan.workDir,
      module: tofuPlan.moduleDir,
      binary: tofuPlan.binary,
      variables: shown,
    },
  });
  const tofu = runTofu(tofuPlan, input.setup.env, events, input.signal, journal, input.createTofu);
  try {
    journal.append({ type: 'action', phase: PHASE, action: 'tofu-init', data: { module: tofuPlan.moduleDir } });
    await tofu.init();
    journal.append({ type: 'action', phase: PHASE, action: 'tofu-apply', data: { workDir: tofuPlan.workDir } });
    await tofu.apply(tofuPlan.variables);
  } catch (err) {
    const error = isBenchError(err) ? err : new InfrastructureError('E_TOFU', (err as Error).message, { cause: err });
    journal.append({ type: 'error', phase: PHASE, code: error.code, message: error.message });
    if (error.kind !== 'interrupted') await destroyAfterFailedApply(input, tofu, error);
    phase.failed(error);
    throw error;
  }
  const raw = await tofu.output();
  const value = (k: string) => String(raw[k]?.value ?? '');
  const outputs: ClusterOutputs = {
    clusterName: value('cluster_name'),
    region: value('region'),
    endpoint: value('cluster_endpoint'),
    caData: value('cluster_certificate_authority_data'),
    ecrRepositoryUrl: value('ecr_repository_url'),
  };
  journal.append({
    type: 'note',
    phase: PHASE,
    message: 'cluster provisioned',
    data: {
      clusterName: outputs.clusterName,
      region: outputs.region,
      endpoint: outputs.endpoint,
      ecrRepositoryUrl: outputs.ecrRepositoryUrl,
    },
  });
  phase.done(`cluster ${outputs.clusterName} provisioned`);
  return { outputs, tofu };
}

async function destroyAfterFailedApply(input: ProvisionInput, tofu: Tofu, error: BenchError): Promise<void> {
  const { journal, events } = input;
  events.emit(
    'warn',
    PHASE,
    'provision.rollback',
    `tofu apply failed (${error.message.split('\n')[0]}); destroying what it created`,
  );
  journal.append({ type: 'action', phase: PHASE, action: 'tofu-destroy-after-failed-apply' });
  try {
    await tofu.destroy(input.tofuPlan.variables);
    if ((await tofu.stateResources()).length === 0) {
      journal.append({ type: 'resource-deleted', resource: { kind: 'tofu-state', id: input.tofuPlan.workDir } });
    }
  } catch (destroyError) {
    journal.append({ type: 'error', phase: PHASE, code: 'E_TOFU_ROLLBACK', message: (destroyError as Error).message });
    events.emit(
      'error',
      PHASE,
      'provision.rollback.failed',
      `destroying after the failed apply failed too: ${(destroyError as Error).message.split('\n')[0]}; run \`${input.cleanupCommand ?? `bench cleanup ${input.runId}`}\``,
    );
  }
}

/** Where a run keeps its OpenTofu working directory and state. */
export function tofuWorkDir(runDir: string): string {
  return join(runDir, 'tofu');
}
