import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import type { KubeConfig } from '@kubernetes/client-node';
import { isAlive, isPortFree, pickFreePort, spawnDaemon, stopProcessGroup } from '../adapters/processes.ts';
import { InfrastructureError, UsageError } from '../errors.ts';
import type { EventBus } from '../run/events.ts';
import { sandboxEnv, writeEnvFile, writeKubeconfig, writePrometheusConfig, type SandboxEnv } from './config.ts';
import {
  cacheRoot,
  DEFAULT_PORTS,
  defaultSandboxDir,
  INSTALL_PART,
  knownSandboxesFile,
  PART_BINARIES,
  PARTS,
  sandboxBinDir,
  sandboxFiles,
  type PartName,
} from './layout.ts';
import { createNodes, DEFAULT_NODE_SHAPE, waitForNodesReady } from './nodes.ts';
import { kwokCrds, kwokStages, partSpec, type PartContext } from './parts.ts';
import { DEFAULT_KOORDE_LATENCY_FACTOR } from './agent/simulator.ts';

/** How long an NLB's network interfaces outlive it on the local cloud unless told otherwise. */
export const DEFAULT_ENI_LINGER_SECONDS = 30;

/** What `bench sandbox up` is asked for. */
export interface SandboxUpOptions {
  dir?: string;
  /** Ports: `auto` picks free ones; a number shifts the defaults (16000-based) to that base. */
  ports?: 'default' | 'auto' | number;
  nodes?: number;
  region?: string;
  lbDeletionDelaySeconds?: number;
  /** How long an NLB's network interfaces outlive it (default 30 s). */
  eniLingerSeconds?: number;
  koordeLatencyFactor?: number;
  /** Deadline for each part to become ready. */
  partDeadlineMs?: number;
  env?: NodeJS.ProcessEnv;
  events?: EventBus;
}

/** One part as recorded in the state file. */
export interface PartState {
  pid: number | undefined;
  port: number;
  url: string;
  log: string;
}

/** The state file of a running (or half-started) local cloud. */
export interface SandboxState {
  version: 1;
  dir: string;
  startedAt: string;
  region: string;
  nodes: number;
  lbDeletionDelaySeconds: number;
  /** Absent in state files written before it existed (then 30). */
  eniLingerSeconds?: number;
  ports: Record<PartName | 'etcd-peer', number>;
  parts: Partial<Record<PartName, PartState>>;
  kubeconfig: string;
  envFile: string;
  /** True once every part was ready; false while up runs or after it failed. */
  complete: boolean;
}

export interface PartStatus {
  part: PartName;
  pid: number | undefined;
  port: number;
  url: string;
  running: boolean;
  healthy: boolean;
}

export interface SandboxStatus {
  dir: string;
  up: boolean;
  parts: PartStatus[];
  kubeconfig: string | undefined;
  envFile: string | undefined;
  /** The variables `--target sandbox` uses, without credentials. */
  endpoints: Record<string, string>;
}

const OFFSETS: Record<PartName | 'etcd-peer', number> = Object.fromEntries(
  Object.entries(DEFAULT_PORTS).map(([k, v]) => [k, v - 16000]),
) as Record<PartName | 'etcd-peer', number>;

/** Reads the state file of a sandbox directory, if there is one. */
export function readSandboxState(dir: string): SandboxState | undefined {
  const path = sandboxFiles(dir).state;
  if (!existsSync(path)) return undefined;
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as SandboxState;
  } catch {
    return undefined;
  }
}

function saveState(state: SandboxState): void {
  const path = sandboxFiles(state.dir).state;
  writeFileSync(`${path}.tmp`, JSON.stringify(state, null, 2), { mode: 0o600 });
  renameSync(`${path}.tmp`, path);
}

async function resolvePorts(choice: SandboxUpOptions['ports']): Promise<SandboxState['ports']> {
  const ports = { ...DEFAULT_PORTS };
  if (choice === 'auto') {
    for (const key of Object.keys(ports) as (keyof typeof ports)[]) ports[key] = await pickFreePort();
  } else if (typeof choice === 'number') {
    if (!Number.isInteger(choice) || choice < 1024 || choice > 65000) {
      throw new UsageError('E_PORT_BASE', `--port-base ${choice}: expected a whole number from 1024 to 65000`, {
        fix: 'choose a base such that base+600 is below 65535, e.g. --port-base 20000',
      });
    }
    for (const key of Object.keys(ports) as (keyof typeof ports)[]) ports[key] = choice + OFFSETS[key];
  }
  return ports;
}

/**
 * Starts the local cloud: checks that every part is installed and every port is free before
 * creating anything, then starts etcd, the Kubernetes control plane, kwok and its nodes, moto,
 * the agent (load-balancer controller and workload simulator) and Prometheus, each waited for
 * until it serves. A failure stops what was started and names the part.
 */
export async function startSandbox(options: SandboxUpOptions = {}): Promise<SandboxStatus> {
  const env = options.env ?? process.env;
  const dir = options.dir ? resolve(options.dir) : defaultSandboxDir(env);
  const nodes = options.nodes ?? DEFAULT_NODE_SHAPE.count;
  if (!Number.isInteger(nodes) || nodes < 1 || nodes > 50) {
    throw new UsageError('E_NODES', `--nodes ${nodes}: the local cloud runs 1 to 50 nodes`, {
      fix: 'give --nodes a whole number from 1 to 50 (default 3)',
    });
  }
  const factor = options.koordeLatencyFactor ?? DEFAULT_KOORDE_LATENCY_FACTOR;
  if (!Number.isFinite(factor) || factor <= 0) {
    throw new UsageError('E_FACTOR', `--koorde-latency-factor ${factor}: expected a positive number`, {
      fix: 'e.g. 0.8 makes Koorde 20% faster than Chord, 1 makes them equal',
    });
  }
  const delay = options.lbDeletionDelaySeconds ?? 20;
  if (!Number.isFinite(delay) || delay < 0) {
    throw new UsageError('E_DELAY', `--lb-deletion-delay ${delay}: expected 0 or more seconds`, {
      fix: 'e.g. --lb-deletion-delay 20',
    });
  }
  const linger = options.eniLingerSeconds ?? DEFAULT_ENI_LINGER_SECONDS;
  if (!Number.isFinite(linger) || linger < 0) {
    throw new UsageError('E_DELAY', `--eni-linger ${linger}: expected 0 or more seconds`, {
      fix: 'e.g. --eni-linger 30',
    });
  }
  const emit = (level: 'info' | 'warn', code: string, message: string, data?: Record<string, unknown>) =>
    options.events?.emit(level, 'sandbox', code, message, data);

  const existing = readSandboxState(dir);
  if (existing) {
    const status = await sandboxStatus({ dir, env });
    if (status.up) {
      emit('info', 'sandbox.already-up', `the local cloud is already up in ${dir}`);
      return status;
    }
    if (status.parts.some((p) => p.running)) {
      throw new UsageError(
        'E_SANDBOX_PARTLY_RUNNING',
        `a local cloud in ${dir} is partly running (${status.parts
          .filter((p) => p.running)
          .map((p) => p.part)
          .join(', ')})`,
        {
          fix: 'run `bench sandbox down` first, then `bench sandbox up`',
        },
      );
    }
  }

  // Preflight: nothing is created until every binary is there and every port is free.
  const binDir = sandboxBinDir(env);
  const missing = PARTS.map((p) => PART_BINARIES[p]).filter(
    (b): b is string => b !== undefined && !existsSync(join(binDir, b)),
  );
  if (missing.length > 0) {
    const parts = [...new Set(missing.map((b) => INSTALL_PART[b] ?? b))];
    throw new InfrastructureError(
      'E_SANDBOX_NOT_INSTALLED',
      `the local cloud is not installed: ${missing.join(', ')} missing in ${binDir}`,
      {
        fix: `run \`bash test/harness/install.sh ${parts.join(' ')}\` (or \`bash scripts/setup.sh\`)`,
        data: { missing },
      },
    );
  }
  if (kwokStages(binDir).length === 0 || kwokCrds(binDir).length === 0) {
    throw new InfrastructureError('E_SANDBOX_NOT_INSTALLED', `kwok's stages or CRDs are missing beside ${binDir}`, {
      fix: 'run `bash test/harness/install.sh kwok`',
    });
  }
  const ports = await resolvePorts(options.ports);
  for (const [part, port] of Object.entries(ports)) {
    if (!(await isPortFree(port))) {
      throw new InfrastructureError('E_PORT_IN_USE', `${part}: port 127.0.0.1:${port} is in use`, {
        fix: `stop whatever listens there (\`ss -ltnp 'sport = :${port}'\` shows it), or start on other ports with --port-base (e.g. --port-base 20000) or --ports auto`,
        data: { part, port },
      });
    }
  }

  const files = sandboxFiles(dir);
  // A new up starts from a clean cluster: moto keeps its state in memory only, so Kubernetes
  // objects kept from an earlier up would point at load balancers that no longer exist.
  rmSync(files.data, { recursive: true, force: true });
  rmSync(files.pki, { recursive: true, force: true });
  for (const d of [dir, files.logs, files.data]) mkdirSync(d, { recursive: true, mode: 0o700 });
  const region = options.region ?? 'eu-central-1';
  const state: SandboxState = {
    version: 1,
    dir,
    startedAt: new Date().toISOString(),
    region,
    nodes,
    lbDeletionDelaySeconds: delay,
    eniLingerSeconds: linger,
    ports,
    parts: {},
    kubeconfig: files.kubeconfig,
    envFile: files.envFile,
    complete: false,
  };
  saveState(state);

  let current: PartName | 'nodes' = 'etcd';
  options.events?.emit('info', 'sandbox', 'phase.start', `starting the local cloud in ${dir}`);
  try {
    // Loaded here, not at start-up: the X.509 library is only needed to start a local cloud.
    const { generatePki } = await import('./pki.ts');
    const pki = await generatePki(files.pki);
    const apiServer = `https://127.0.0.1:${ports['kube-apiserver']}`;
    writeKubeconfig(files.kubeconfig, apiServer, pki, 'admin');
    writeKubeconfig(join(dir, 'controller-manager.kubeconfig'), apiServer, pki, 'controller-manager');
    writeKubeconfig(join(dir, 'scheduler.kubeconfig'), apiServer, pki, 'scheduler');
    writePrometheusConfig(files.prometheusConfig, ports.agent);
    const context: PartContext = {
      dir,
      binDir,
      ports,
      pki,
      region,
      lbDeletionDelaySeconds: state.lbDeletionDelaySeconds,
      eniLingerSeconds: linger,
      koordeLatencyFactor: factor,
    };
    const deadline = options.partDeadlineMs ?? 120_000;
    let kc: KubeConfig | undefined;
    const kubeConfig = async () => {
      if (!kc) {
        const k8s = await import('@kubernetes/client-node');
        kc = new k8s.KubeConfig();
        kc.loadFromFile(files.kubeconfig);
      }
      return kc;
    };
    for (const part of PARTS) {
      current = part;
      if (part === 'kwok') {
        // kwok watches Logs objects (the pod logs it serves) from its start: their CRD first.
        const { installCrds } = await import('./crds.ts');
        const crds = await installCrds(await kubeConfig(), kwokCrds(binDir), deadline);
        emit('info', 'sandbox.crds.ready', `kwok's CRDs installed (${crds.join(', ')})`, { crds });
      }
      const spec = partSpec(part, context);
      const log = join(files.logs, `${part}.log`);
      emit('info', 'sandbox.part.start', `starting ${part} on ${spec.url}`, { part, port: ports[part] });
      const started = Date.now();
      const pid = spawnDaemon({ command: spec.command, args: spec.args, env: spec.env, logFile: log, cwd: dir });
      state.parts[part] = { pid, port: ports[part], url: spec.url, log };
      saveState(state);
      await waitForReady(part, pid, spec.ready, deadline, log);
      emit('info', 'sandbox.part.ready', `${part} ready (${((Date.now() - started) / 1000).toFixed(1)}s)`, { part });
      if (part === 'kwok') {
        current = 'nodes';
        const kc = await kubeConfig();
        const names = await createNodes(kc, {
          ...DEFAULT_NODE_SHAPE,
          count: nodes,
          region,
          nodeGroup: 'sandbox-nodes',
        });
        await waitForNodesReady(kc, names, deadline);
        emit('info', 'sandbox.nodes.ready', `${names.length} kwok nodes Ready`, { nodes: names });
      }
    }
    const envValues = sandboxEnv({
      motoUrl: `http://127.0.0.1:${ports.moto}`,
      region,
      kubeconfig: files.kubeconfig,
      prometheusUrl: `http://127.0.0.1:${ports.prometheus}`,
      apiServer,
      caFile: pki.caCert,
      python: join(cacheRoot(env), 'sandbox', 'moto', 'bin', 'python'),
      dir,
    });
    writeEnvFile(files.envFile, envValues);
    state.complete = true;
    saveState(state);
    rememberSandboxDir(dir, env);
    options.events?.emit('info', 'sandbox', 'phase.end', 'the local cloud is up');
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    emit('warn', 'sandbox.up.failed', `${current} failed: ${reason}; stopping what was started`);
    options.events?.emit('error', 'sandbox', 'phase.failed', `${current} failed`);
    await stopParts(state);
    const log = current === 'nodes' ? undefined : state.parts[current]?.log;
    throw new InfrastructureError('E_SANDBOX_START', `the local cloud did not start: ${current}: ${reason}`, {
      fix: log
        ? `see ${log}; after fixing, run \`bench sandbox up\` again`
        : 'run `bench sandbox up` again; `bench sandbox down` removes what is left',
      data: { part: current, log },
      cause: err,
    });
  }
  return sandboxStatus({ dir, env });
}

async function waitForReady(
  part: PartName,
  pid: number,
  ready: () => Promise<boolean>,
  deadlineMs: number,
  log: string,
): Promise<void> {
  const end = Date.now() + deadlineMs;
  while (Date.now() < end) {
    if (!isAlive(pid)) throw new Error(`exited during start-up: ${lastLines(log)}`);
    try {
      if (await ready()) return;
    } catch {
      // not serving yet
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`not ready after ${deadlineMs / 1000}s: ${lastLines(log)}`);
}

function lastLines(log: string): string {
  try {
    const lines = readFileSync(log, 'utf8').trimEnd().split('\n');
    const tail = lines.slice(-3);
    // A Node.js part that crashed ends its log with its stack and version; the line that names
    // the error (EADDRINUSE, a missing file) is further up, so it leads the message.
    const cause = lines.findLast((l) => /\b(?:[A-Z]\w*Error|E[A-Z]{3,})\b/.test(l) && !tail.includes(l));
    return [...(cause ? [cause.trim()] : []), ...tail].join(' | ').slice(-600);
  } catch {
    return '(no log)';
  }
}

async function stopParts(state: SandboxState): Promise<PartName[]> {
  const stopped: PartName[] = [];
  for (const part of [...PARTS].reverse()) {
    const pid = state.parts[part]?.pid;
    if (pid === undefined) continue;
    const result = await stopProcessGroup(pid);
    if (result !== 'not-running') stopped.push(part);
  }
  return stopped;
}

export interface SandboxDownResult {
  dir: string;
  stopped: PartName[];
  /** Parts whose process was still alive after SIGKILL (should be none). */
  leftRunning: PartName[];
}

/** Stops every part of the local cloud recorded in the state file; idempotent, and safe after a failed up. */
export async function stopSandbox(
  options: { dir?: string; env?: NodeJS.ProcessEnv; events?: EventBus } = {},
): Promise<SandboxDownResult> {
  const dir = options.dir ? resolve(options.dir) : defaultSandboxDir(options.env ?? process.env);
  const state = readSandboxState(dir);
  if (!state) return { dir, stopped: [], leftRunning: [] };
  const stopped = await stopParts(state);
  for (const part of stopped)
    options.events?.emit('info', 'sandbox', 'sandbox.part.stopped', `${part} stopped`, { part });
  const leftRunning = PARTS.filter((p) => {
    const pid = state.parts[p]?.pid;
    return pid !== undefined && isAlive(pid);
  });
  if (leftRunning.length > 0) {
    throw new InfrastructureError('E_SANDBOX_STOP', `could not stop: ${leftRunning.join(', ')}`, {
      fix: `kill the processes by hand: ${leftRunning.map((p) => state.parts[p]?.pid).join(' ')}`,
    });
  }
  state.complete = false;
  state.parts = {};
  saveState(state);
  return { dir, stopped, leftRunning };
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

/** Adds a directory to the list of local clouds started on this machine (best effort). */
function rememberSandboxDir(dir: string, env: NodeJS.ProcessEnv): void {
  const file = knownSandboxesFile(env);
  try {
    const known = readKnownSandboxDirs(env).filter((d) => d !== dir);
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, JSON.stringify([dir, ...known].slice(0, 50), null, 2));
  } catch {
    // Only used to say where else a local cloud is up; never worth failing `sandbox up` for.
  }
}

function readKnownSandboxDirs(env: NodeJS.ProcessEnv): string[] {
  try {
    const list = JSON.parse(readFileSync(knownSandboxesFile(env), 'utf8')) as unknown;
    return Array.isArray(list) ? list.filter((d): d is string => typeof d === 'string') : [];
  } catch {
    return [];
  }
}

/**
 * Other directories where a local cloud is up right now (its state complete and every part's
 * process alive; no health check, so this stays fast): the default one and every one `bench
 * sandbox up` started on this machine.
 */
export function otherSandboxesUp(dir: string, env: NodeJS.ProcessEnv = process.env): string[] {
  const candidates = [join(cacheRoot(env), 'sandbox', 'instance'), ...readKnownSandboxDirs(env)];
  const up: string[] = [];
  for (const other of new Set(candidates.map((d) => resolve(d)))) {
    if (other === resolve(dir)) continue;
    const state = readSandboxState(other);
    const alive =
      state?.complete &&
      PARTS.every((p) => {
        const pid = state.parts[p]?.pid;
        return pid !== undefined && isAlive(pid);
      });
    if (alive) up.push(other);
  }
  return up;
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
