import { mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { KubeConfig } from '@kubernetes/client-node';
import { isAlive, spawnDaemon } from '../adapters/processes.ts';
import { InfrastructureError, UsageError } from '../errors.ts';
import type { EventBus, EventCode, EventDataOf, EventLevelOf } from '../run/events.ts';
import { sandboxEnv, writeEnvFile, writeKubeconfig, writePrometheusConfig } from './config.ts';
import { cacheRoot, defaultSandboxDir, PARTS, sandboxBinDir, sandboxFiles, type PartName } from './layout.ts';
import { createNodes, DEFAULT_NODE_SHAPE, waitForNodesReady } from './nodes.ts';
import { kwokCrds, partSpec, type PartContext } from './parts.ts';
import { checkInstalled, checkPortsFree, checkUpOptions, resolvePorts } from './preflight.ts';
import { readSandboxState, rememberSandboxDir, saveSandboxState, type SandboxState } from './state.ts';
import { sandboxStatus, type SandboxStatus } from './status.ts';
import { stopParts } from './stop.ts';

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

/**
 * Starts the local cloud: checks that every part is installed and every port is free before
 * creating anything, then starts etcd, the Kubernetes control plane, kwok and its nodes, moto,
 * the agent (load-balancer controller and workload simulator) and Prometheus, each waited for
 * until it serves. A failure stops what was started and names the part.
 */
export async function startSandbox(options: SandboxUpOptions = {}): Promise<SandboxStatus> {
  const env = options.env ?? process.env;
  const dir = options.dir ? resolve(options.dir) : defaultSandboxDir(env);
  const { nodes, factor, delay, linger } = checkUpOptions(options);
  const emit = <C extends EventCode>(level: EventLevelOf<C>, code: C, message: string, data?: EventDataOf<C>) =>
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
  checkInstalled(binDir);
  const ports = await resolvePorts(options.ports);
  await checkPortsFree(ports);

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
  saveSandboxState(state);

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
      saveSandboxState(state);
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
    saveSandboxState(state);
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
