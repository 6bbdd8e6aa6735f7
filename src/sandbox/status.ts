import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { isAlive } from '../adapters/processes.ts';
import { InfrastructureError } from '../errors.ts';
import { DEFAULT_KOORDE_LATENCY_FACTOR } from './agent/systems/koorde.ts';
import type { SandboxEnv } from './config.ts';
import { cacheRoot, defaultSandboxDir, PARTS, sandboxBinDir, sandboxFiles, type PartName } from './layout.ts';
import { partSpec, type PartContext } from './parts.ts';
import { DEFAULT_ENI_LINGER_SECONDS, otherSandboxesUp, readSandboxState } from './state.ts';

/** One part of a local cloud as `bench sandbox status` shows it. */
export interface PartStatus {
  part: PartName;
  pid: number | undefined;
  port: number;
  url: string;
  running: boolean;
  healthy: boolean;
}

/** A local cloud as `bench sandbox status` shows it: up only when every part answers its health check. */
export interface SandboxStatus {
  dir: string;
  up: boolean;
  parts: PartStatus[];
  kubeconfig: string | undefined;
  envFile: string | undefined;
  /** The variables `--target sandbox` uses, without credentials. */
  endpoints: Record<string, string>;
}

/** Each part, its port, whether its process runs and whether it answers its health check. */
export async function sandboxStatus(options: { dir?: string; env?: NodeJS.ProcessEnv } = {}): Promise<SandboxStatus> {
  const env = options.env ?? process.env;
  const dir = options.dir ? resolve(options.dir) : defaultSandboxDir(env);
  const state = readSandboxState(dir);
  if (!state) return { dir, up: false, parts: [], kubeconfig: undefined, envFile: undefined, endpoints: {} };
  const files = sandboxFiles(dir);
  let context: PartContext | undefined;
  const pkiReady = existsSync(join(files.pki, 'admin.key'));
  if (pkiReady) {
    const p = files.pki;
    context = {
      dir,
      binDir: sandboxBinDir(env),
      ports: state.ports,
      region: state.region,
      lbDeletionDelaySeconds: state.lbDeletionDelaySeconds,
      eniLingerSeconds: state.eniLingerSeconds ?? DEFAULT_ENI_LINGER_SECONDS,
      koordeLatencyFactor: DEFAULT_KOORDE_LATENCY_FACTOR,
      pki: {
        caPem: '',
        caCert: join(p, 'ca.crt'),
        apiserverCert: join(p, 'apiserver.crt'),
        apiserverKey: join(p, 'apiserver.key'),
        clients: {
          admin: { cert: join(p, 'admin.crt'), key: join(p, 'admin.key') },
          'controller-manager': { cert: join(p, 'controller-manager.crt'), key: join(p, 'controller-manager.key') },
          scheduler: { cert: join(p, 'scheduler.crt'), key: join(p, 'scheduler.key') },
        },
        serviceAccountKey: join(p, 'sa.key'),
        serviceAccountPub: join(p, 'sa.pub'),
      },
    };
  }
  const parts: PartStatus[] = [];
  for (const part of PARTS) {
    const recorded = state.parts[part];
    const pid = recorded?.pid;
    const running = pid !== undefined && isAlive(pid);
    let healthy = false;
    if (running && context) {
      try {
        healthy = await partSpec(part, context).ready();
      } catch {
        healthy = false;
      }
    }
    parts.push({
      part,
      pid: running ? pid : undefined,
      port: state.ports[part],
      url: recorded?.url ?? '',
      running,
      healthy,
    });
  }
  const up = state.complete && parts.every((p) => p.healthy);
  const endpoints = up ? publicEndpoints(files.envFile) : {};
  return {
    dir,
    up,
    parts,
    kubeconfig: up ? files.kubeconfig : undefined,
    envFile: up ? files.envFile : undefined,
    endpoints,
  };
}

/** The sandbox environment without its (dummy) credentials, for display. */
function publicEndpoints(envFile: string): Record<string, string> {
  const env = readSandboxEnvFile(envFile);
  const { AWS_ACCESS_KEY_ID: _a, AWS_SECRET_ACCESS_KEY: _s, ...rest } = env;
  return rest;
}

/** Reads the environment file `bench sandbox up` wrote. */
export function readSandboxEnvFile(path: string): Partial<SandboxEnv> {
  const out: Record<string, string> = {};
  if (!existsSync(path)) return out;
  for (const line of readFileSync(path, 'utf8').split('\n')) {
    const m = /^export ([A-Z0-9_]+)=(.*)$/.exec(line);
    if (m) out[m[1] as string] = JSON.parse(m[2] as string) as string;
  }
  return out;
}

/**
 * "The local cloud is not up", naming the directory looked in, any other where one is up, and
 * how to point bench at it or start one here.
 */
export function sandboxNotUpError(dir: string, env: NodeJS.ProcessEnv = process.env): InfrastructureError {
  const others = otherSandboxesUp(dir, env);
  const here = dir === join(resolve(cacheRoot(env)), 'sandbox', 'instance') ? '' : ` --sandbox-dir ${dir}`;
  const elsewhere = others.length ? `; one is up in ${others.join(', ')}` : '';
  const fix = others.length
    ? `give --sandbox-dir ${others[0]} (or \`source ${join(others[0] as string, 'sandbox.env')}\`), or start one here with \`bench sandbox up${here}\``
    : `run \`bench sandbox up${here}\` (install it first with \`bash scripts/setup.sh\`)`;
  return new InfrastructureError('E_SANDBOX_DOWN', `the local cloud is not up in ${dir}${elsewhere}`, { fix });
}
