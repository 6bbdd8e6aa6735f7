import { connectEks, connectKubeconfig, type ClusterConnection } from '../adapters/kube-cluster.ts';
import { InfrastructureError } from '../errors.ts';
import type { EventBus } from '../run/events.ts';
import type { Journal } from '../run/journal.ts';
import type { TargetSetup } from '../run/target.ts';
import type { ClusterOutputs } from './provision.ts';
import { beginPhase } from './record.ts';

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
}): Promise<ClusterConnection> {
  const { setup, outputs, journal, events } = input;
  const phase = beginPhase(journal, events, PHASE, 'connecting to the cluster');
  let connection: ClusterConnection;
  if (setup.target === 'aws') {
    if (!outputs) throw new Error('connect on aws needs the module outputs');
    connection = connectEks({
      clusterName: outputs.clusterName,
      region: outputs.region,
      endpoint: outputs.endpoint,
      caData: outputs.caData,
      env: setup.env,
    });
  } else if (setup.target === 'sandbox') {
    connection = await connectKubeconfig({ path: setup.sandbox?.kubeconfig });
  } else {
    connection = await connectKubeconfig({ context: setup.kube?.context, env: setup.env });
  }
  let version: string;
  try {
    version = await serverVersion(connection);
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

/** Asks the API server its version, with a deadline. */
export async function serverVersion(connection: ClusterConnection, deadlineMs = 30_000): Promise<string> {
  const k8s = await import('@kubernetes/client-node');
  const end = Date.now() + deadlineMs;
  let last: unknown;
  while (Date.now() < end) {
    try {
      const api = (await connection.kubeConfig()).makeApiClient(k8s.VersionApi);
      return (await api.getCode()).gitVersion;
    } catch (err) {
      last = err;
      await new Promise((r) => setTimeout(r, 1000));
    }
  }
  throw new InfrastructureError(
    'E_CONNECT',
    `the API server at ${connection.server} did not answer within ${deadlineMs / 1000}s: ${(last as Error)?.message}`,
    {
      fix: 'check that the cluster is up and reachable from this machine',
    },
  );
}
