import type { KubeConfig, KubernetesObject } from '@kubernetes/client-node';
import { InfrastructureError, InterruptedError } from '../errors.ts';
import type { KubeObject } from '../suite/render.ts';
import type { ClusterConnection } from './kube-cluster.ts';
import { isKubeNotFound, kubeCall } from './kube-errors.ts';

/** The field manager every object the tool applies is owned by (server-side apply). */
export const FIELD_MANAGER = 'bench';

/** An object as the API server holds it after an apply. */
export interface AppliedObject {
  kind: string;
  namespace: string | undefined;
  name: string;
  uid: string;
  resourceVersion: string;
}

/** A workload whose rollout and scale the run drives. */
export interface WorkloadRef {
  kind: 'Deployment' | 'StatefulSet' | 'DaemonSet';
  namespace: string;
  name: string;
}

/** A pod as verify reports it. */
export interface PodState {
  name: string;
  node: string | undefined;
  phase: string;
  ready: boolean;
  /** Why it is not scheduled (the scheduler's message), when it is not. */
  unschedulable: string | undefined;
  /** Since when it has been unschedulable. */
  unschedulableSince: string | undefined;
  /** Each container that waits, with the kubelet's reason and message (init containers too). */
  waiting: { container: string; reason: string; message: string | undefined }[];
}

/** The cluster operations deploy, verify and the load phases need, on our own types. */
export interface KubeWorkloads {
  /** Server-side apply with the tool's field manager: idempotent, and a re-apply changes nothing. */
  apply(object: KubeObject): Promise<AppliedObject>;
  /** Deletes an object; one already gone is fine. */
  remove(object: Pick<KubeObject, 'apiVersion' | 'kind' | 'metadata'>): Promise<void>;
  scale(ref: WorkloadRef, replicas: number): Promise<void>;
  /** Waits (with a watch, not a sleep loop) until the workload is rolled out. */
  waitForRollout(ref: WorkloadRef, options: WaitOptions & { onPending?: () => Promise<void> }): Promise<void>;
  /** Waits until a LoadBalancer Service has a hostname (or IP) in its status. */
  waitForLoadBalancer(namespace: string, name: string, options: WaitOptions): Promise<string>;
  listPods(namespace: string, selector: Record<string, string>): Promise<PodState[]>;
  /** Nodes a pod without tolerations can be scheduled on. */
  schedulableNodes(): Promise<string[]>;
  /** Scheduler warnings about a pod (FailedScheduling messages), newest last. */
  schedulingEvents(namespace: string, pod: string): Promise<string[]>;
  /** Every pod of a namespace with the workload that owns it and its containers' images as the API server holds them. */
  listPodImages(namespace: string): Promise<PodImages[]>;
}

/** A pod's containers' images: the reference asked for and the image the node resolved. */
export interface PodImages {
  pod: string;
  namespace: string;
  /** The workload that owns it (a Deployment through its ReplicaSet), when one does. */
  owner: { kind: string; name: string } | undefined;
  containers: {
    name: string;
    init: boolean;
    /** The reference in the pod's spec. */
    image: string;
    /** `status.containerStatuses[].imageID` (a digest); null when the API server holds none. */
    imageID: string | null;
  }[];
}

export interface WaitOptions {
  deadlineMs: number;
  signal?: AbortSignal;
}

const notFound = isKubeNotFound;

/** `Kind ns/name`, for messages. */
const named = (kind: string, namespace: string | undefined, name: string) =>
  `${kind} ${namespace ? `${namespace}/` : ''}${name}`;

/** Rolled out: the controller has seen the latest spec and every replica is updated and available. */
export function isRolledOut(
  kind: WorkloadRef['kind'],
  obj: {
    metadata?: { generation?: number };
    spec?: { replicas?: number };
    status?: Record<string, number | string | undefined>;
  },
): boolean {
  const s = obj.status ?? {};
  const observed = Number(s.observedGeneration ?? 0) >= Number(obj.metadata?.generation ?? 0);
  if (!observed) return false;
  if (kind === 'DaemonSet') {
    const desired = Number(s.desiredNumberScheduled ?? -1);
    return (
      desired >= 0 && Number(s.updatedNumberScheduled ?? 0) === desired && Number(s.numberAvailable ?? 0) === desired
    );
  }
  const replicas = obj.spec?.replicas ?? 1;
  const updated = Number(s.updatedReplicas ?? 0);
  const ready = Number((kind === 'Deployment' ? s.availableReplicas : s.readyReplicas) ?? 0);
  const total = Number(s.replicas ?? 0);
  return updated === replicas && ready === replicas && total === replicas;
}

const PLURALS: Record<WorkloadRef['kind'], string> = {
  Deployment: 'deployments',
  StatefulSet: 'statefulsets',
  DaemonSet: 'daemonsets',
};

/** The real client on @kubernetes/client-node. */
export function createKubeWorkloads(connection: ClusterConnection): KubeWorkloads {
  const k8s = () => import('@kubernetes/client-node');
  const kc = () => connection.kubeConfig();
  /** Every API call goes through here: retries of 429 / 5xx, failures in our words (404 passed through). */
  const call = <T>(operation: string, object: string | undefined, fn: () => Promise<T>) =>
    kubeCall({ operation, object, server: connection.server }, fn);

  /** Watches one object until `done` says so, with a deadline and an AbortSignal. */
  async function watchUntil<T>(
    path: string,
    name: string,
    done: (obj: T) => boolean,
    options: WaitOptions,
    what: string,
    onTick?: () => Promise<void>,
  ): Promise<T> {
    const { Watch } = await k8s();
    const config: KubeConfig = await kc();
    return new Promise<T>((resolve, reject) => {
      let settled = false;
      let request: AbortController | undefined;
      let ticker: NodeJS.Timeout | undefined;
      const finish = (err: Error | undefined, value?: T) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        clearInterval(ticker);
        options.signal?.removeEventListener('abort', onAbort);
        request?.abort();
        if (err) reject(err);
        else resolve(value as T);
      };
      const timer = setTimeout(
        () =>
          finish(
            new InfrastructureError(
              'E_WAIT_DEADLINE',
              `${what}: not done within ${Math.round(options.deadlineMs / 1000)}s`,
              { fix: 'see the pods and events of the namespace; the run tears down on its own' },
            ),
          ),
        options.deadlineMs,
      );
      const onAbort = () => finish(new InterruptedError(`interrupted while waiting: ${what}`));
      options.signal?.addEventListener('abort', onAbort, { once: true });
      if (options.signal?.aborted) return onAbort();
      if (onTick) {
        ticker = setInterval(() => {
          onTick().catch((err: Error) => finish(err));
        }, 5000);
      }
      const start = () => {
        if (settled) return;
        new Watch(config)
          .watch(
            path,
            { fieldSelector: `metadata.name=${name}` },
            (_type, obj: T) => {
              if (done(obj)) finish(undefined, obj);
            },
            (err) => {
              // The API server closes watches from time to time; start again until the deadline.
              if (!settled) setTimeout(start, err ? 1000 : 0);
            },
          )
          .then((req) => {
            request = req;
          })
          .catch(() => !settled && setTimeout(start, 1000));
      };
      start();
    });
  }

  return {
    async apply(object) {
      const { KubernetesObjectApi, PatchStrategy } = await k8s();
      const client = KubernetesObjectApi.makeApiClient(await kc());
      const res = await call('apply', named(object.kind, object.metadata.namespace, object.metadata.name), () =>
        client.patch(
          object as KubernetesObject,
          undefined,
          undefined,
          FIELD_MANAGER,
          true,
          PatchStrategy.ServerSideApply,
        ),
      );
      return {
        kind: object.kind,
        namespace: object.metadata.namespace,
        name: object.metadata.name,
        uid: res.metadata?.uid ?? '',
        resourceVersion: res.metadata?.resourceVersion ?? '',
      };
    },
    async remove(object) {
      const { KubernetesObjectApi } = await k8s();
      const client = KubernetesObjectApi.makeApiClient(await kc());
      try {
        await call('delete', named(object.kind, object.metadata.namespace, object.metadata.name), () =>
          client.delete(object as KubernetesObject, undefined, undefined, undefined, undefined, 'Background'),
        );
      } catch (err) {
        if (!notFound(err)) throw err;
      }
    },
    async scale(ref, replicas) {
      const { AppsV1Api } = await k8s();
      const apps = (await kc()).makeApiClient(AppsV1Api);
      const body = { spec: { replicas } };
      const { setHeaderOptions, PatchStrategy } = await k8s();
      const options = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);
      const what = named(ref.kind, ref.namespace, ref.name);
      if (ref.kind === 'Deployment')
        await call('scale', what, () =>
          apps.patchNamespacedDeploymentScale({ name: ref.name, namespace: ref.namespace, body }, options),
        );
      else if (ref.kind === 'StatefulSet')
        await call('scale', what, () =>
          apps.patchNamespacedStatefulSetScale({ name: ref.name, namespace: ref.namespace, body }, options),
        );
      else
        throw new InfrastructureError('E_SCALE', `a ${ref.kind} cannot be scaled`, {
          fix: "scale a Deployment or StatefulSet in the suite's phases",
        });
    },
    async waitForRollout(ref, options) {
      const path = `/apis/apps/v1/namespaces/${ref.namespace}/${PLURALS[ref.kind]}`;
      await watchUntil(
        path,
        ref.name,
        (obj: Parameters<typeof isRolledOut>[1]) => isRolledOut(ref.kind, obj),
        options,
        `rollout of ${ref.kind} ${ref.namespace}/${ref.name}`,
        options.onPending,
      );
    },
    async waitForLoadBalancer(namespace, name, options) {
      type Svc = { status?: { loadBalancer?: { ingress?: { hostname?: string; ip?: string }[] } } };
      const svc = await watchUntil(
        `/api/v1/namespaces/${namespace}/services`,
        name,
        (s: Svc) => Boolean(s.status?.loadBalancer?.ingress?.[0]),
        options,
        `load balancer of Service ${namespace}/${name}`,
      );
      const ingress = svc.status?.loadBalancer?.ingress?.[0];
      return ingress?.hostname ?? ingress?.ip ?? '';
    },
    async listPods(namespace, selector) {
      const { CoreV1Api } = await k8s();
      const core = (await kc()).makeApiClient(CoreV1Api);
      const labelSelector = Object.entries(selector)
        .map(([k, v]) => `${k}=${v}`)
        .join(',');
      const pods = await call('list', `Pods in ${namespace} (${labelSelector})`, () =>
        core.listNamespacedPod({ namespace, labelSelector }),
      );
      return pods.items
        .filter((p) => !p.metadata?.deletionTimestamp)
        .map((p) => {
          const scheduled = p.status?.conditions?.find((c) => c.type === 'PodScheduled');
          const unschedulable =
            scheduled?.status === 'False' ? (scheduled.message ?? scheduled.reason ?? 'not scheduled') : undefined;
          return {
            name: p.metadata?.name ?? '',
            node: p.spec?.nodeName,
            phase: p.status?.phase ?? 'Unknown',
            ready: p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false,
            unschedulable,
            unschedulableSince: unschedulable ? scheduled?.lastTransitionTime?.toISOString() : undefined,
            waiting: [...(p.status?.initContainerStatuses ?? []), ...(p.status?.containerStatuses ?? [])].flatMap(
              (c) =>
                c.state?.waiting?.reason
                  ? [{ container: c.name, reason: c.state.waiting.reason, message: c.state.waiting.message }]
                  : [],
            ),
          };
        });
    },
    async schedulableNodes() {
      const { CoreV1Api } = await k8s();
      const core = (await kc()).makeApiClient(CoreV1Api);
      return (await call('list', 'Nodes', () => core.listNode())).items
        .filter(
          (n) =>
            !n.spec?.unschedulable &&
            !(n.spec?.taints ?? []).some((t) => t.effect === 'NoSchedule' || t.effect === 'NoExecute'),
        )
        .filter((n) => n.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'))
        .map((n) => n.metadata?.name ?? '');
    },
    async schedulingEvents(namespace, pod) {
      const { CoreV1Api } = await k8s();
      const core = (await kc()).makeApiClient(CoreV1Api);
      const events = await call('list', `Events of Pod ${namespace}/${pod}`, () =>
        core.listNamespacedEvent({
          namespace,
          fieldSelector: `involvedObject.name=${pod},reason=FailedScheduling`,
        }),
      );
      return events.items.map((e) => e.message ?? '').filter(Boolean);
    },
    async listPodImages(namespace) {
      const { AppsV1Api, CoreV1Api } = await k8s();
      const config = await kc();
      const [pods, replicaSets] = await Promise.all([
        call('list', `Pods in ${namespace}`, () => config.makeApiClient(CoreV1Api).listNamespacedPod({ namespace })),
        call('list', `ReplicaSets in ${namespace}`, () =>
          config.makeApiClient(AppsV1Api).listNamespacedReplicaSet({ namespace }),
        ),
      ]);
      const rsOwner = new Map(
        replicaSets.items.map((rs) => [
          rs.metadata?.name ?? '',
          rs.metadata?.ownerReferences?.find((o) => o.controller),
        ]),
      );
      return pods.items.map((p) => {
        const ref = p.metadata?.ownerReferences?.find((o) => o.controller);
        const viaRs = ref?.kind === 'ReplicaSet' ? rsOwner.get(ref.name) : undefined;
        const owner = viaRs ?? ref;
        const statuses = [...(p.status?.containerStatuses ?? []), ...(p.status?.initContainerStatuses ?? [])];
        const container = (c: { name: string; image?: string }, init: boolean) => ({
          name: c.name,
          init,
          image: c.image ?? '',
          // An empty imageID (the container has not started, or a node that reports none) stays null: not invented.
          imageID: statuses.find((st) => st.name === c.name)?.imageID || null,
        });
        return {
          pod: p.metadata?.name ?? '',
          namespace,
          owner: owner ? { kind: owner.kind, name: owner.name } : undefined,
          containers: [
            ...(p.spec?.initContainers ?? []).map((c) => container(c, true)),
            ...(p.spec?.containers ?? []).map((c) => container(c, false)),
          ],
        };
      });
    },
  };
}
