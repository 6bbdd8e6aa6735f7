import type { ClusterConnection } from '../adapters/kube-cluster.ts';
import { toKubeError } from '../adapters/kube-errors.ts';
import { InfrastructureError, InterruptedError } from '../errors.ts';
import type { EventBus } from '../run/events.ts';
import type { Journal } from '../run/journal.ts';
import { targetFor } from '../targets/index.ts';
import type { TargetSetup } from '../targets/target.ts';
import type { ClusterOutputs } from './provision.ts';
import { beginPhase } from './record.ts';
import { sleep } from '../util/sleep.ts';

const PHASE = 'connect';

/**
 * Reaches the cluster: on AWS a kubeconfig built in memory from the module outputs with an EKS
 * token (no aws CLI, no kubectl); on the local cloud its API server's credentials; on an
 * existing cluster the kubeconfig context. The API server must answer before the run goes on.
 */
export async function connect(input: {
  setup: TargetSetup;
  outputs: ClusterOutputs | undefined;
  journal: Journal;
  events: EventBus;
  /** The run's signal: a Ctrl-C stops the wait for the API server (InterruptedError). */
  signal?: AbortSignal;
}): Promise<ClusterConnection> {
  const { setup, outputs, journal, events, signal } = input;
  const phase = beginPhase(journal, events, PHASE, 'connecting to the cluster');
  if (signal?.aborted) {
    const err = new InterruptedError('interrupted before connecting to the cluster');
    phase.failed(err);
    throw err;
  }
  const connection = await targetFor(setup.target).connect(setup, outputs);
  let version: string;
  try {
    version = await serverVersion(connection, 30_000, signal);
  } catch (err) {
    phase.failed(err);
    throw err;
  }
  journal.append({
    type: 'note',
    phase: PHASE,
    message: 'connected',
    data: { server: connection.server, context: connection.context, version },
  });
  phase.done(`connected to ${connection.server} (Kubernetes ${version})`);
  return connection;
}

/**
 * Asks the API server its version, with a deadline and the run's signal. The last failure is
 * named in our words (`ECONNREFUSED https://127.0.0.1:16443`, an HTTP status and the server's
 * message), never as `fetch failed` or a raw HTTP dump.
 */
export async function serverVersion(
  connection: ClusterConnection,
  deadlineMs = 30_000,
  signal?: AbortSignal,
): Promise<string> {
  const k8s = await import('@kubernetes/client-node');
  const end = Date.now() + deadlineMs;
  let last: unknown;
  const interrupted = () => new InterruptedError(`interrupted while connecting to ${connection.server}`);
  while (Date.now() < end) {
    if (signal?.aborted) throw interrupted();
    try {
      const api = (await connection.kubeConfig()).makeApiClient(k8s.VersionApi);
      return (await api.getCode()).gitVersion;
    } catch (err) {
      last = err;
      if (signal?.aborted) throw interrupted();
      // An abort only ends the pause: the loop's top turns it into the interrupted error.
      await sleep(1000, signal).catch(() => undefined);
    }
  }
  const reason = toKubeError(last, { operation: 'GET /version', server: connection.server });
  throw new InfrastructureError(
    'E_CONNECT',
    `the API server at ${connection.server} did not answer within ${deadlineMs / 1000}s: ${reason.message}`,
    {
      fix: 'check that the cluster is up and reachable from this machine',
      data: reason.data,
    },
  );
}
