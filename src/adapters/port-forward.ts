import { createServer, type Server, type Socket } from 'node:net';
import type { ClusterConnection } from './kube-cluster.ts';

/** A local port that forwards to a pod's port while it is open. */
export interface ForwardedPort {
  /** The local port on 127.0.0.1 (the one asked for, or the free one picked for 0). */
  localPort: number;
  /** Stops listening and closes every forwarded connection. */
  close(): Promise<void>;
}

/** The cluster operations `bench grafana` needs, on our own types. */
export interface PortForwarder {
  /** The name of a Running and Ready pod matching the labels, or undefined when there is none. */
  findReadyPod(namespace: string, labels: Record<string, string>): Promise<string | undefined>;
  /** One key of a Secret, decoded; undefined when the Secret or the key does not exist. */
  readSecretKey(namespace: string, name: string, key: string): Promise<string | undefined>;
  /**
   * Listens on 127.0.0.1:localPort (0: a free port) and forwards each connection to the pod's
   * port through the API server's portforward subresource (what `kubectl port-forward` does).
   */
  forward(options: { namespace: string; pod: string; port: number; localPort: number }): Promise<ForwardedPort>;
}

/** What the forwarder uses of the socket to the API server. */
interface Closable {
  close(): void;
}

/** The real forwarder on @kubernetes/client-node's PortForward; no kubectl. */
export function createPortForwarder(connection: ClusterConnection): PortForwarder {
  const core = async () => {
    const k8s = await import('@kubernetes/client-node');
    return (await connection.kubeConfig()).makeApiClient(k8s.CoreV1Api);
  };
  return {
    async findReadyPod(namespace, labels) {
      const labelSelector = Object.entries(labels)
        .map(([k, v]) => `${k}=${v}`)
        .join(',');
      const pods = await (await core()).listNamespacedPod({ namespace, labelSelector });
      const ready = pods.items.find(
        (p) =>
          p.status?.phase === 'Running' &&
          !p.metadata?.deletionTimestamp &&
          (p.status.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True'),
      );
      return ready?.metadata?.name;
    },

    async readSecretKey(namespace, name, key) {
      try {
        const secret = await (await core()).readNamespacedSecret({ name, namespace });
        const value = secret.data?.[key];
        return value === undefined ? undefined : Buffer.from(value, 'base64').toString('utf8');
      } catch (err) {
        if ((err as { code?: number }).code === 404) return undefined;
        throw err;
      }
    },

    async forward({ namespace, pod, port, localPort }) {
      const k8s = await import('@kubernetes/client-node');
      // The KubeConfig is taken per connection: an EKS token expires in 15 minutes, a session
      // may last longer.
      const sockets = new Set<Socket>();
      const server: Server = createServer((socket) => {
        sockets.add(socket);
        socket.on('close', () => sockets.delete(socket));
        // A broken connection (the pod went away, the browser closed) ends that connection only.
        socket.on('error', () => socket.destroy());
        // Each connection forwards on its own, for as long as it lasts; its failure is handled inside.
        void (async () => {
          try {
            const forwarder = new k8s.PortForward(await connection.kubeConfig());
            // The declared type is the `ws` package's WebSocket, whose types are not installed: only close() is used.
            const ws = (await forwarder.portForward(namespace, pod, [port], socket, null, socket)) as unknown as
              Closable | (() => Closable | null);
            const close = () => {
              const w = typeof ws === 'function' ? ws() : ws;
              w?.close();
            };
            socket.on('close', close);
          } catch {
            socket.destroy();
          }
        })();
      });
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(localPort, '127.0.0.1', () => {
          server.off('error', reject);
          resolve();
        });
      });
      return {
        localPort: (server.address() as { port: number }).port,
        close: () =>
          new Promise<void>((resolve) => {
            for (const s of sockets) s.destroy();
            server.close(() => resolve());
          }),
      };
    },
  };
}
