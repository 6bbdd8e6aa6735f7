import type { KubeConfig, V1Lease, V1MicroTime } from '@kubernetes/client-node';
import { InfrastructureError, InterruptedError } from '../errors.ts';
import { sleep } from '../util/sleep.ts';
import { isKubeNotFound, kubeCall, kubeStatus } from './kube-errors.ts';

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

/** The Lease calls a run's ownership of a cluster needs (src/phases/lease.ts holds the policy). */
export interface KubeLeases {
  /** The API server's URL, for messages. */
  readonly server: string;
  /** The lease, or undefined when there is none. */
  readLease(key: LeaseKey): Promise<ClusterLease | undefined>;
  /** Creates the lease; 'conflict' when one of that name exists already (someone else won the race). */
  createLease(key: LeaseKey, spec: LeaseSpec): Promise<ClusterLease | 'conflict'>;
  /**
   * Replaces the lease as read (optimistic concurrency on its resourceVersion); 'conflict' when it
   * changed since (another run renewed or took it), 'gone' when it was deleted.
   */
  replaceLease(current: ClusterLease, spec: LeaseSpec): Promise<ClusterLease | 'conflict' | 'gone'>;
  /** Deletes the lease only if it is still as read (resourceVersion precondition); false when it was not. */
  deleteLease(current: ClusterLease): Promise<boolean>;
}

/** Where a lease lives. */
export interface LeaseKey {
  namespace: string;
  name: string;
}

/** What a lease says, as the run's policy reads it (coordination.k8s.io/v1 Lease). */
export interface LeaseSpec {
  holder: string;
  durationSeconds: number;
  acquiredAt: Date;
  renewedAt: Date;
  transitions: number;
  annotations: Record<string, string>;
}

/** A lease as the API server holds it. */
export interface ClusterLease extends LeaseKey {
  /** holderIdentity; undefined when released without deletion. */
  holder: string | undefined;
  durationSeconds: number | undefined;
  acquiredAt: Date | undefined;
  renewedAt: Date | undefined;
  transitions: number;
  annotations: Record<string, string>;
  resourceVersion: string;
}

const notFound = isKubeNotFound;

/** The real cluster client on @kubernetes/client-node. */
export function createKubeCluster(connection: ClusterConnection): KubeCluster {
  const apis = async () => {
    const k8s = await import('@kubernetes/client-node');
    const kc = await connection.kubeConfig();
    return { core: kc.makeApiClient(k8s.CoreV1Api), net: kc.makeApiClient(k8s.NetworkingV1Api) };
  };
  /** Every API call goes through here: retries of 429 / 5xx, failures in our words (404 passed through). */
  const call = <T>(operation: string, object: string | undefined, fn: () => Promise<T>, passThrough?: number[]) =>
    kubeCall({ operation, object, server: connection.server }, fn, { passThrough });
  const exists = async (ref: KubeRef): Promise<boolean> => {
    const { core, net } = await apis();
    try {
      await call<unknown>('read', describeRef(ref), () =>
        ref.kind === 'Service'
          ? core.readNamespacedService({ name: ref.name, namespace: ref.namespace as string })
          : ref.kind === 'Ingress'
            ? net.readNamespacedIngress({ name: ref.name, namespace: ref.namespace as string })
            : core.readNamespace({ name: ref.name }),
      );
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
      const services = (
        await call('list', 'Services (all namespaces)', () => core.listServiceForAllNamespaces({ labelSelector }))
      ).items
        .filter((s) => s.spec?.type === 'LoadBalancer')
        .map((s): KubeRef => ({ kind: 'Service', namespace: s.metadata?.namespace, name: s.metadata?.name as string }));
      const ingresses = (
        await call('list', 'Ingresses (all namespaces)', () => net.listIngressForAllNamespaces({ labelSelector }))
      ).items.map((i): KubeRef => ({
        kind: 'Ingress',
        namespace: i.metadata?.namespace,
        name: i.metadata?.name as string,
      }));
      return [...services, ...ingresses];
    },
    async listRunNamespaces(runId) {
      const { core } = await apis();
      return (
        await call('list', 'Namespaces', () => core.listNamespace({ labelSelector: `bench.dev/run-id=${runId}` }))
      ).items.map((n): KubeRef => ({
        kind: 'Namespace',
        name: n.metadata?.name as string,
      }));
    },
    async deleteObject(ref) {
      const { core, net } = await apis();
      try {
        await call<unknown>('delete', describeRef(ref), () =>
          ref.kind === 'Service'
            ? core.deleteNamespacedService({ name: ref.name, namespace: ref.namespace as string })
            : ref.kind === 'Ingress'
              ? net.deleteNamespacedIngress({ name: ref.name, namespace: ref.namespace as string })
              : core.deleteNamespace({ name: ref.name }),
        );
      } catch (err) {
        if (!notFound(err)) throw err;
      }
    },
    async deleteAny(ref) {
      const k8s = await import('@kubernetes/client-node');
      const client = k8s.KubernetesObjectApi.makeApiClient(await connection.kubeConfig());
      try {
        await call('delete', describeRef(ref), () =>
          client.delete({
            apiVersion: ref.apiVersion,
            kind: ref.kind,
            metadata: { name: ref.name, namespace: ref.namespace },
          }),
        );
      } catch (err) {
        if (!notFound(err)) throw err;
      }
    },
    async objectExists(ref) {
      const k8s = await import('@kubernetes/client-node');
      const client = k8s.KubernetesObjectApi.makeApiClient(await connection.kubeConfig());
      try {
        await call('read', describeRef(ref), () =>
          client.read({
            apiVersion: ref.apiVersion,
            kind: ref.kind,
            metadata: { name: ref.name, namespace: ref.namespace },
          }),
        );
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
        // An abort only ends the pause early: the next look decides, as before, then the abort is raised.
        await sleep(options.pollMs ?? 1000, options.signal).catch(() => undefined);
      }
    },
  };
}

/** The real Lease client on @kubernetes/client-node. */
export function createKubeLeases(connection: ClusterConnection): KubeLeases {
  const apis = async () => {
    const k8s = await import('@kubernetes/client-node');
    return { coordination: (await connection.kubeConfig()).makeApiClient(k8s.CoordinationV1Api), k8s };
  };
  const call = <T>(operation: string, object: string | undefined, fn: () => Promise<T>, passThrough?: number[]) =>
    kubeCall({ operation, object, server: connection.server }, fn, { passThrough });
  return {
    server: connection.server,
    async readLease(key) {
      const { coordination } = await apis();
      try {
        return fromLease(await call('read', leaseName(key), () => coordination.readNamespacedLease(key)));
      } catch (err) {
        if (notFound(err)) return undefined;
        throw err;
      }
    },
    async createLease(key, spec) {
      const { coordination, k8s } = await apis();
      try {
        const body = toLease(k8s.V1MicroTime, key, spec, undefined);
        return fromLease(
          await call(
            'create',
            leaseName(key),
            () => coordination.createNamespacedLease({ namespace: key.namespace, body }),
            [409],
          ),
        );
      } catch (err) {
        if (kubeStatus(err) === 409) return 'conflict';
        throw err;
      }
    },
    async replaceLease(current, spec) {
      const { coordination, k8s } = await apis();
      try {
        const body = toLease(k8s.V1MicroTime, current, spec, current.resourceVersion);
        return fromLease(
          await call(
            'replace',
            leaseName(current),
            () => coordination.replaceNamespacedLease({ name: current.name, namespace: current.namespace, body }),
            [404, 409],
          ),
        );
      } catch (err) {
        if (kubeStatus(err) === 409) return 'conflict';
        if (notFound(err)) return 'gone';
        throw err;
      }
    },
    async deleteLease(current) {
      const { coordination } = await apis();
      try {
        await call(
          'delete',
          leaseName(current),
          () =>
            coordination.deleteNamespacedLease({
              name: current.name,
              namespace: current.namespace,
              body: { preconditions: { resourceVersion: current.resourceVersion } },
            }),
          [404, 409],
        );
        return true;
      } catch (err) {
        if (notFound(err) || kubeStatus(err) === 409) return false;
        throw err;
      }
    },
  };
}

const leaseName = (key: LeaseKey) => `Lease ${key.namespace}/${key.name}`;

type LeaseObject = V1Lease;

function toLease(
  MicroTime: typeof V1MicroTime,
  key: LeaseKey,
  spec: LeaseSpec,
  resourceVersion: string | undefined,
): LeaseObject {
  return {
    apiVersion: 'coordination.k8s.io/v1',
    kind: 'Lease',
    metadata: {
      name: key.name,
      namespace: key.namespace,
      annotations: spec.annotations,
      labels: { 'app.kubernetes.io/managed-by': 'bench' },
      ...(resourceVersion ? { resourceVersion } : {}),
    },
    spec: {
      holderIdentity: spec.holder,
      leaseDurationSeconds: spec.durationSeconds,
      // The API server takes MicroTime with six fractional digits only; V1MicroTime writes them.
      acquireTime: new MicroTime(spec.acquiredAt),
      renewTime: new MicroTime(spec.renewedAt),
      leaseTransitions: spec.transitions,
    },
  };
}

function fromLease(lease: LeaseObject): ClusterLease {
  const date = (d: Date | string | undefined) => (d === undefined ? undefined : new Date(d));
  return {
    namespace: lease.metadata?.namespace ?? '',
    name: lease.metadata?.name ?? '',
    holder: lease.spec?.holderIdentity || undefined,
    durationSeconds: lease.spec?.leaseDurationSeconds,
    acquiredAt: date(lease.spec?.acquireTime),
    renewedAt: date(lease.spec?.renewTime),
    transitions: lease.spec?.leaseTransitions ?? 0,
    annotations: { ...(lease.metadata?.annotations ?? {}) },
    resourceVersion: lease.metadata?.resourceVersion ?? '',
  };
}

/** `Service ns/name`, for messages. */
export function describeRef(ref: { kind: string; namespace?: string; name: string }): string {
  return `${ref.kind} ${ref.namespace ? `${ref.namespace}/` : ''}${ref.name}`;
}
