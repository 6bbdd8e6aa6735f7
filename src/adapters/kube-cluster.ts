import type { KubeConfig } from '@kubernetes/client-node';
import { InfrastructureError, InterruptedError } from '../errors.ts';

/**
 * How the tool reaches a cluster: EKS (a kubeconfig built in memory from the module outputs,
 * authenticated with a refreshed bearer token), or a kubeconfig file and context (the local
 * cloud's, or an existing cluster's). Nothing here is written to disk or printed.
 */
export interface ClusterConnection {
  /** Where it points, for messages and the journal (no credentials). */
  server: string;
  context: string;
  /** A KubeConfig with valid credentials (a fresh EKS token when the old one is due). */
  kubeConfig(): Promise<KubeConfig>;
}

/** Connects to an EKS cluster from the module's outputs. */
export function connectEks(options: {
  clusterName: string;
  region: string;
  endpoint: string;
  caData: string;
  env?: NodeJS.ProcessEnv;
}): ClusterConnection {
  let cached: { kc: KubeConfig; refreshAt: Date } | undefined;
  return {
    server: options.endpoint,
    context: options.clusterName,
    async kubeConfig() {
      if (cached && cached.refreshAt.getTime() > Date.now()) return cached.kc;
      const [{ KubeConfig }, { mintEksToken }] = await Promise.all([
        import('@kubernetes/client-node'),
        import('./eks-token.ts'),
      ]);
      const { token, refreshAt } = await mintEksToken(options.clusterName, options.region, options.env);
      const kc = new KubeConfig();
      kc.loadFromOptions({
        clusters: [
          { name: options.clusterName, server: options.endpoint, caData: options.caData, skipTLSVerify: false },
        ],
        users: [{ name: 'bench', token }],
        contexts: [{ name: options.clusterName, cluster: options.clusterName, user: 'bench' }],
        currentContext: options.clusterName,
      });
      cached = { kc, refreshAt };
      return kc;
    },
  };
}

/**
 * Connects through a kubeconfig file and context: `path`, else the first file of the
 * environment's KUBECONFIG, else the client's default (KUBECONFIG or ~/.kube/config).
 */
export async function connectKubeconfig(options: {
  path?: string;
  context?: string;
  env?: NodeJS.ProcessEnv;
}): Promise<ClusterConnection> {
  const { KubeConfig } = await import('@kubernetes/client-node');
  const kc = new KubeConfig();
  const fromEnv = options.env?.KUBECONFIG?.split(':').find(Boolean);
  if (options.path) kc.loadFromFile(options.path);
  else if (fromEnv) kc.loadFromFile(fromEnv);
  else kc.loadFromDefault();
  if (options.context) {
    if (!kc.getContextObject(options.context)) {
      throw new InfrastructureError('E_KUBE_CONTEXT', `context '${options.context}' is not in the kubeconfig`, {
        fix: `use one of: ${
          kc
            .getContexts()
            .map((c) => c.name)
            .join(', ') || '(none)'
        }`,
      });
    }
    kc.setCurrentContext(options.context);
  }
  return {
    server: kc.getCurrentCluster()?.server ?? 'unknown',
    context: kc.getCurrentContext(),
    kubeConfig: async () => kc,
  };
}

/** A Kubernetes object a run created, by kind, namespace and name. */
export interface KubeRef {
  kind: 'Service' | 'Ingress' | 'Namespace';
  namespace?: string;
  name: string;
}

/** Any other object the run applied (e.g. a ClusterRole), deleted by apiVersion and kind. */
export interface KubeObjectRef {
  apiVersion: string;
  kind: string;
  namespace?: string;
  name: string;
}

/** The cluster operations teardown needs, on our own types. */
export interface KubeCluster {
  /** LoadBalancer Services and Ingresses labelled with the run id, in every namespace. */
  listRunLoadBalancers(runId: string): Promise<KubeRef[]>;
  /** Namespaces labelled with the run id. */
  listRunNamespaces(runId: string): Promise<KubeRef[]>;
  /** Deletes one object; an object already gone is fine. */
  deleteObject(ref: KubeRef): Promise<void>;
  /** Deletes any object by apiVersion and kind; one already gone is fine. */
  deleteAny(ref: KubeObjectRef): Promise<void>;
  /** Whether an object exists now (any apiVersion and kind; a kind the server does not know: false). */
  objectExists(ref: KubeObjectRef): Promise<boolean>;
  /** Polls until none of the objects exists any more (finalizers cleared), with a deadline. */
  waitForObjectsGone(
    refs: KubeRef[],
    options: { deadlineMs: number; pollMs?: number; signal?: AbortSignal },
  ): Promise<void>;
}

const notFound = (err: unknown) => (err as { code?: number }).code === 404;

/** The real cluster client on @kubernetes/client-node. */
export function createKubeCluster(connection: ClusterConnection): KubeCluster {
  const apis = async () => {
    const k8s = await import('@kubernetes/client-node');
    const kc = await connection.kubeConfig();
    return { core: kc.makeApiClient(k8s.CoreV1Api), net: kc.makeApiClient(k8s.NetworkingV1Api) };
  };
  const exists = async (ref: KubeRef): Promise<boolean> => {
    const { core, net } = await apis();
    try {
      if (ref.kind === 'Service')
        await core.readNamespacedService({ name: ref.name, namespace: ref.namespace as string });
      else if (ref.kind === 'Ingress')
        await net.readNamespacedIngress({ name: ref.name, namespace: ref.namespace as string });
      else await core.readNamespace({ name: ref.name });
      return true;
    } catch (err) {
      if (notFound(err)) return false;
      throw err;
    }
  };
  return {
    async listRunLoadBalancers(runId) {
      const { core, net } = await apis();
      const labelSelector = `bench.dev/run-id=${runId}`;
      const services = (await core.listServiceForAllNamespaces({ labelSelector })).items
        .filter((s) => s.spec?.type === 'LoadBalancer')
        .map((s): KubeRef => ({ kind: 'Service', namespace: s.metadata?.namespace, name: s.metadata?.name as string }));
      const ingresses = (await net.listIngressForAllNamespaces({ labelSelector })).items.map((i): KubeRef => ({
        kind: 'Ingress',
        namespace: i.metadata?.namespace,
        name: i.metadata?.name as string,
      }));
      return [...services, ...ingresses];
    },
    async listRunNamespaces(runId) {
      const { core } = await apis();
      return (await core.listNamespace({ labelSelector: `bench.dev/run-id=${runId}` })).items.map((n): KubeRef => ({
        kind: 'Namespace',
        name: n.metadata?.name as string,
      }));
    },
    async deleteObject(ref) {
      const { core, net } = await apis();
      try {
        if (ref.kind === 'Service')
          await core.deleteNamespacedService({ name: ref.name, namespace: ref.namespace as string });
        else if (ref.kind === 'Ingress')
          await net.deleteNamespacedIngress({ name: ref.name, namespace: ref.namespace as string });
        else await core.deleteNamespace({ name: ref.name });
      } catch (err) {
        if (!notFound(err)) throw err;
      }
    },
    async deleteAny(ref) {
      const k8s = await import('@kubernetes/client-node');
      const client = k8s.KubernetesObjectApi.makeApiClient(await connection.kubeConfig());
      try {
        await client.delete({
          apiVersion: ref.apiVersion,
          kind: ref.kind,
          metadata: { name: ref.name, namespace: ref.namespace },
        });
      } catch (err) {
        if (!notFound(err)) throw err;
      }
    },
    async objectExists(ref) {
      const k8s = await import('@kubernetes/client-node');
      const client = k8s.KubernetesObjectApi.makeApiClient(await connection.kubeConfig());
      try {
        await client.read({
          apiVersion: ref.apiVersion,
          kind: ref.kind,
          metadata: { name: ref.name, namespace: ref.namespace },
        });
        return true;
      } catch (err) {
        if (notFound(err)) return false;
        // The client looks the kind up first: a kind the server does not serve (its CRD is gone) has no objects.
        if (/Unrecognized API version and kind/.test((err as Error).message ?? '')) return false;
        throw err;
      }
    },
    async waitForObjectsGone(refs, options) {
      const end = Date.now() + options.deadlineMs;
      let remaining = refs;
      for (;;) {
        const still: KubeRef[] = [];
        for (const ref of remaining) if (await exists(ref)) still.push(ref);
        remaining = still;
        if (remaining.length === 0) return;
        if (options.signal?.aborted)
          throw new InterruptedError('interrupted while waiting for Kubernetes objects to go');
        if (Date.now() >= end) {
          throw new InfrastructureError(
            'E_KUBE_WAIT_DEADLINE',
            `still there after ${options.deadlineMs / 1000}s: ${remaining.map(describeRef).join(', ')}`,
            {
              fix: 'a finalizer is holding them (for a LoadBalancer Service: the cloud load balancer is not deleted yet); check `kubectl describe` on them, then run `bench cleanup <run-id>` again',
              data: { remaining },
            },
          );
        }
        await new Promise((r) => setTimeout(r, options.pollMs ?? 1000));
      }
    },
  };
}

/** `Service ns/name`, for messages. */
export function describeRef(ref: KubeRef): string {
  return `${ref.kind} ${ref.namespace ? `${ref.namespace}/` : ''}${ref.name}`;
}
