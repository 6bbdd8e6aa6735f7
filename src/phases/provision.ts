import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import { createTofu, type Tofu, type TofuProgress } from '../adapters/tofu.ts';
import { BenchError, InfrastructureError, UsageError } from '../errors.ts';
import { PACKAGE_ROOT } from '../paths.ts';
import type { EventBus } from '../run/events.ts';
import type { Journal } from '../run/journal.ts';
import type { TargetSetup } from '../run/target.ts';
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
  overrides: { nodes?: number; variables?: Record<string, string> } = {},
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
    ...typedVariables(overrides.variables ?? {}, resolveModuleDir(loaded, spec.module)),
  };
  if (setup.sandbox) {
    variables.api_server_endpoint = setup.sandbox.apiServer;
    variables.api_server_ca_data = Buffer.from(setup.sandbox.caPem).toString('base64');
    variables.python = setup.sandbox.python;
  }
  return variables;
}

/** Names of the variables a module declares (read from its .tf files). */
export function moduleVariables(moduleDir: string): string[] {
  const names: string[] = [];
  for (const file of existsSync(moduleDir) ? readdirSync(moduleDir).filter((f) => f.endsWith('.tf')) : []) {
    for (const m of readFileSync(join(moduleDir, file), 'utf8').matchAll(/^variable\s+"([A-Za-z0-9_-]+)"/gm))
      names.push(m[1] as string);
  }
  return names;
}

/** `--var name=value`: checked against the module (a typo would be silently ignored by tofu) and typed. */
export function typedVariables(values: Record<string, string>, moduleDir: string): Record<string, unknown> {
  const declared = moduleVariables(moduleDir);
  const out: Record<string, unknown> = {};
  for (const [name, raw] of Object.entries(values)) {
    if (!declared.includes(name)) {
      throw new UsageError('E_VAR_UNKNOWN', `--var ${name}: the module ${moduleDir} has no variable '${name}'`, {
        fix: `use one of: ${declared.join(', ')}`,
      });
    }
    if (['run_id', 'expires_at', 'region', 'cluster_name'].includes(name)) {
      throw new UsageError('E_VAR_RESERVED', `--var ${name}: bench sets this variable itself`, {
        fix: 'leave it out; the run id and its expiry identify what the run owns',
      });
    }
    out[name] =
      raw === 'true'
        ? true
        : raw === 'false'
          ? false
          : raw.trim() !== '' && Number.isFinite(Number(raw))
            ? Number(raw)
            : raw;
  }
  return out;
}

export interface ProvisionInput {
  runId: string;
  tofuPlan: TofuPlan;
  setup: TargetSetup;
  journal: Journal;
  events: EventBus;
  signal?: AbortSignal;
}

export interface Provisioned {
  outputs: ClusterOutputs;
  tofu: Tofu;
}

/** Builds the OpenTofu adapter of a run (also used by cleanup, from the journal). */
export function runTofu(plan: TofuPlan, env: NodeJS.ProcessEnv, events: EventBus, signal?: AbortSignal): Tofu {
  let last = '';
  // destroy belongs to teardown; init, plan and apply to provisioning.
  const phaseOf = (command: TofuProgress['command']) => (command === 'destroy' ? 'teardown' : PHASE);
  return createTofu({
    moduleDir: plan.moduleDir,
    workDir: plan.workDir,
    binary: plan.binary,
    env,
    signal,
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
    onDiagnostic: (d) =>
      events.emit(
        d.severity === 'error' ? 'error' : 'warn',
        PHASE,
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
  const tofu = runTofu(tofuPlan, input.setup.env, events, input.signal);
  try {
    journal.append({ type: 'action', phase: PHASE, action: 'tofu-init', data: { module: tofuPlan.moduleDir } });
    await tofu.init();
    journal.append({ type: 'action', phase: PHASE, action: 'tofu-apply', data: { workDir: tofuPlan.workDir } });
    await tofu.apply(tofuPlan.variables);
  } catch (err) {
    const error =
      err instanceof BenchError ? err : new InfrastructureError('E_TOFU', (err as Error).message, { cause: err });
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
      `destroying after the failed apply failed too: ${(destroyError as Error).message.split('\n')[0]}; run \`bench cleanup ${input.runId}\``,
    );
  }
}

/** Where a run keeps its OpenTofu working directory and state. */
export function tofuWorkDir(runDir: string): string {
  return join(runDir, 'tofu');
}
