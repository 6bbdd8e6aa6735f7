import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { createPortForwarder, type ForwardedPort, type PortForwarder } from '../adapters/index.ts';
import { InfrastructureError, UsageError } from '../errors.ts';
import { EventBus } from '../run/events.ts';
import { readJournal } from '../run/journal.ts';
import { isRunId, JOURNAL_FILE, resolveRunsRoot } from '../run/run-dir.ts';
import { readRunStart, requireRunOptions, type RunStartRecord, type RunStartWithOptions } from '../run/run-record.ts';
import { locateGrafana, type GrafanaLocation } from '../suite/grafana.ts';
import type { KubeObject } from '../suite/render.ts';
import { reachRecordedRun } from './cleanup.ts';

/** The objects a run applied, from the manifests it kept in its directory. */
function readRunManifests(runDir: string): KubeObject[] {
  const dir = join(runDir, 'manifests');
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((f) => f.endsWith('.yaml'))
    .flatMap((f) => parseAllDocuments(readFileSync(join(dir, f), 'utf8')).map((d) => d.toJS() as KubeObject))
    .filter((o) => o && typeof o === 'object' && typeof o.kind === 'string');
}

/** What `bench grafana <run-id>` is asked for. */
export interface GrafanaOptions {
  runId: string;
  runsDir?: string;
  /** Local port on 127.0.0.1; 0 picks a free one. Default 3000, or a free one when 3000 is taken. */
  localPort?: number;
  /** Read the generated admin password from the cluster's Secret (returned, never emitted). */
  showPassword?: boolean;
  env?: NodeJS.ProcessEnv;
  events?: EventBus;
  signal?: AbortSignal;
  /** The run's cluster; tests hand in a fake. Default: reached from the run's journal. */
  connect?: (start: RunStartRecord, env: NodeJS.ProcessEnv, events: EventBus) => Promise<PortForwarder>;
}

/** An open forward to a run's Grafana. */
export interface GrafanaSession {
  runId: string;
  url: string;
  user: string;
  namespace: string;
  service: string;
  pod: string;
  localPort: number;
  /** Only with showPassword: for the terminal, never for a log, an event or `--json`. */
  password?: string;
  /** Where the password is kept, for a person who wants to read it another way. */
  passwordSecret: string | undefined;
  close(): Promise<void>;
}

/** The default local port: Grafana's own. */
export const GRAFANA_LOCAL_PORT = 3000;

/**
 * Forwards a local port to the Grafana of a run that is still up (a `--keep` run, or one that
 * is running): finds it in the run's manifests, reaches the run's cluster from its journal, picks
 * a Ready pod behind its Service and forwards to it through the Kubernetes API (no kubectl).
 */
export async function openGrafana(options: GrafanaOptions): Promise<GrafanaSession> {
  const env = options.env ?? process.env;
  const events = options.events ?? new EventBus();
  const runsRoot = resolveRunsRoot(options.runsDir, env);
  const runDir = join(runsRoot, options.runId);
  if (!isRunId(options.runId) || !existsSync(join(runDir, JOURNAL_FILE))) {
    throw new UsageError('E_RUN_UNKNOWN', `no run '${options.runId}' in ${runsRoot}`, {
      fix: '`bench list` shows the runs; --runs-dir names another runs directory',
    });
  }
  const localPort = options.localPort ?? GRAFANA_LOCAL_PORT;
  if (!Number.isInteger(localPort) || localPort < 0 || localPort > 65535) {
    throw new UsageError('E_PORT', `--port ${localPort}: expected a port from 1 to 65535, or 0 for any free one`, {
      fix: 'e.g. --port 3000, or --port 0',
    });
  }
  const journalPath = join(runDir, JOURNAL_FILE);
  const { records } = readJournal(journalPath);
  const start = readRunStart(records, journalPath);
  if (!start) {
    throw new UsageError('E_RUN_NO_START', `the journal of ${options.runId} has no run-start record`, {
      fix: 'this run created nothing; start one with `bench run`',
    });
  }
  const grafana = locateGrafana(readRunManifests(runDir));
  if (!grafana) {
    throw new UsageError('E_NO_GRAFANA', `run ${options.runId} (suite ${start.suite}) deployed no Grafana`, {
      fix: 'a suite gets one from a Service with a port named `grafana` (the thyme suite has one)',
    });
  }
  if (records.some((r) => r.type === 'phase-end' && r.phase === 'teardown' && r.ok)) {
    throw new UsageError('E_RUN_GONE', `run ${options.runId} is torn down: its Grafana is gone`, {
      fix: 'Grafana lives as long as its run: keep one with `bench run --keep` (then `bench cleanup <run-id>`)',
    });
  }
  const cluster = await (
    options.connect ?? ((s, e, ev) => connectRunCluster(requireRunOptions(s, journalPath), e, ev))
  )(start, env, events);
  const pod = await cluster.findReadyPod(grafana.namespace, grafana.selector);
  if (!pod) {
    throw new InfrastructureError(
      'E_GRAFANA_NOT_READY',
      `no Ready pod behind Service ${grafana.namespace}/${grafana.service} of run ${options.runId}`,
      { fix: 'wait until the run has deployed (see `bench list`), or check the pod in namespace ' + grafana.namespace },
    );
  }
  let password: string | undefined;
  if (options.showPassword) {
    if (!grafana.passwordSecret) {
      throw new UsageError('E_NO_PASSWORD', `the Grafana of run ${options.runId} has no generated password`, {
        fix: 'its manifests set GF_SECURITY_ADMIN_PASSWORD from no Secret; drop --show-password',
      });
    }
    password = await cluster.readSecretKey(grafana.namespace, grafana.passwordSecret.name, grafana.passwordSecret.key);
    if (password === undefined) {
      throw new InfrastructureError(
        'E_NO_PASSWORD',
        `Secret ${grafana.namespace}/${grafana.passwordSecret.name} has no key ${grafana.passwordSecret.key}`,
        { fix: 'the run did not finish deploying; `bench cleanup <run-id>` and run it again' },
      );
    }
  }
  const forwarded = await forwardWithFallback(cluster, grafana, pod, localPort, options.localPort !== undefined);
  if (options.signal?.aborted) {
    await forwarded.close();
    throw options.signal.reason instanceof Error ? options.signal.reason : new Error('aborted');
  }
  const url = `http://127.0.0.1:${forwarded.localPort}/`;
  // The event says where and who; the password never enters an event, a log or the journal.
  events.emit(
    'info',
    'grafana',
    'grafana.forwarding',
    `forwarding ${url} to ${grafana.namespace}/${pod}:${grafana.port}`,
    {
      url,
      pod,
      namespace: grafana.namespace,
    },
  );
  return {
    runId: options.runId,
    url,
    user: grafana.user,
    namespace: grafana.namespace,
    service: grafana.service,
    pod,
    localPort: forwarded.localPort,
    ...(password === undefined ? {} : { password }),
    passwordSecret: grafana.passwordSecret
      ? `${grafana.namespace}/${grafana.passwordSecret.name} (key ${grafana.passwordSecret.key})`
      : undefined,
    close: () => forwarded.close(),
  };
}

/** The run's cluster as cleanup reaches it, with the real forwarder. */
async function connectRunCluster(
  start: RunStartWithOptions,
  env: NodeJS.ProcessEnv,
  events: EventBus,
): Promise<PortForwarder> {
  const { connection } = await reachRecordedRun(start, env, events);
  if (!connection) {
    throw new InfrastructureError('E_RUN_UNREACHABLE', `the cluster of run ${start.runId} cannot be reached`, {
      fix: 'it may be torn down already (`bench list`); for the local cloud give --sandbox-dir',
    });
  }
  return createPortForwarder(connection);
}

/** Forwards on the port asked for; the default 3000, when taken, falls back to a free port. */
async function forwardWithFallback(
  cluster: PortForwarder,
  grafana: GrafanaLocation,
  pod: string,
  localPort: number,
  explicit: boolean,
): Promise<ForwardedPort> {
  const forward = (port: number) =>
    cluster.forward({ namespace: grafana.namespace, pod, port: grafana.port, localPort: port });
  try {
    return await forward(localPort);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw err;
    if (!explicit) return forward(0);
    throw new UsageError('E_PORT_IN_USE', `--port ${localPort}: 127.0.0.1:${localPort} is in use`, {
      fix: 'give another --port, or --port 0 for any free one',
    });
  }
}
