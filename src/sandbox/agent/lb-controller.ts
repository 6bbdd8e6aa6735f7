import { createHash } from 'node:crypto';
import type { KubeMeta, KubeRest } from './kube-rest.ts';
import { createLocalCloud, type LingeringInterfaces, type LocalCloud } from './local-cloud.ts';

/** The finalizer the Kubernetes service controller puts on LoadBalancer Services. */
export const LB_FINALIZER = 'service.kubernetes.io/load-balancer-cleanup';
const TAGS_ANNOTATION = 'service.beta.kubernetes.io/aws-load-balancer-additional-resource-tags';
/** The label (and tag) bench puts on a run's objects. */
const RUN_LABEL = 'bench.dev/run-id';

interface Service {
  metadata: KubeMeta;
  spec: { type?: string; ports?: { port: number; nodePort?: number; protocol?: string }[] };
  status?: { loadBalancer?: { ingress?: { hostname?: string }[] } };
}

/**
 * The local cloud's load-balancer controller, doing what AWS's controllers do: a Service of type
 * LoadBalancer gets a finalizer, a tagged NLB (with target groups and listeners) in moto, and
 * its hostname in the status, in the VPC of its own run's EKS cluster, with one network interface
 * per subnet and the AWS Load Balancer Controller's managed security group; when the Service is
 * deleted, the NLB is removed after a delay (AWS takes time too) and only then is the finalizer
 * released; its interfaces linger for another delay, as on AWS, and then go. The security group is
 * left behind (see LocalCloud.ensureLoadBalancer): the teardown must delete it.
 */
export class LoadBalancerController {
  readonly #kube: KubeRest;
  readonly #cloud: LocalCloud;
  readonly #deletionDelayMs: number;
  readonly #eniLingerMs: number;
  readonly #deletingSince = new Map<string, number>();
  /** Interfaces of deleted NLBs, and when they go. Kept in memory: an agent restart forgets them. */
  readonly #lingering: { due: number; interfaces: LingeringInterfaces }[] = [];
  #running = false;

  constructor(kube: KubeRest, region: string, deletionDelaySeconds: number, eniLingerSeconds = 30, cloud?: LocalCloud) {
    this.#kube = kube;
    this.#cloud = cloud ?? createLocalCloud(region);
    this.#deletionDelayMs = deletionDelaySeconds * 1000;
    this.#eniLingerMs = eniLingerSeconds * 1000;
  }

  /** Deletes the interfaces whose linger is over. */
  async #sweepInterfaces(): Promise<void> {
    const now = Date.now();
    for (let i = this.#lingering.length - 1; i >= 0; i--) {
      const entry = this.#lingering[i];
      if (!entry || entry.due > now) continue;
      await this.#cloud.deleteInterfaces(entry.interfaces);
      this.#lingering.splice(i, 1);
      console.log(`lb-controller: network interfaces ${entry.interfaces.ids.join(', ')} gone`);
    }
  }

  /** Reconciles every Service once; called in a loop. */
  async reconcileAll(): Promise<void> {
    if (this.#running) return;
    this.#running = true;
    try {
      try {
        await this.#sweepInterfaces();
      } catch (err) {
        console.error(`lb-controller: network interfaces: ${(err as Error).message}`);
      }
      const list = await this.#kube.get<{ items: Service[] }>('/api/v1/services');
      for (const svc of list.items) {
        try {
          await this.#reconcile(svc);
        } catch (err) {
          console.error(`lb-controller: ${svc.metadata.namespace}/${svc.metadata.name}: ${(err as Error).message}`);
        }
      }
    } finally {
      this.#running = false;
    }
  }

  async #reconcile(svc: Service): Promise<void> {
    const key = `${svc.metadata.namespace}/${svc.metadata.name}`;
    const path = `/api/v1/namespaces/${svc.metadata.namespace}/services/${svc.metadata.name}`;
    const finalizers = svc.metadata.finalizers ?? [];
    const ours = finalizers.includes(LB_FINALIZER);
    const wantsLb = svc.spec.type === 'LoadBalancer' && !svc.metadata.deletionTimestamp;

    if (!wantsLb) {
      if (!ours) return;
      // Deleted (or no longer a LoadBalancer): remove the NLB after the delay, then let go.
      const since = this.#deletingSince.get(key) ?? Date.now();
      this.#deletingSince.set(key, since);
      if (Date.now() - since < this.#deletionDelayMs) return;
      const lingering = await this.#cloud.deleteLoadBalancer(lbName(svc.metadata.uid));
      for (const interfaces of lingering)
        if (interfaces.ids.length > 0) this.#lingering.push({ due: Date.now() + this.#eniLingerMs, interfaces });
      await this.#kube.patch(
        path,
        [
          { op: 'test', path: '/metadata/finalizers', value: finalizers },
          { op: 'replace', path: '/metadata/finalizers', value: finalizers.filter((f) => f !== LB_FINALIZER) },
        ],
        'application/json-patch+json',
      );
      this.#deletingSince.delete(key);
      console.log(`lb-controller: ${key}: NLB deleted, finalizer released`);
      return;
    }

    if (!ours) {
      await this.#kube.patch(path, { metadata: { finalizers: [...finalizers, LB_FINALIZER] } });
    }
    if (svc.status?.loadBalancer?.ingress?.[0]?.hostname) return;
    const extra = parseTags(svc.metadata.annotations?.[TAGS_ANNOTATION]);
    // The run the Service belongs to: its label, or the run-id tag it asks its NLB to carry.
    const runId = svc.metadata.labels?.[RUN_LABEL] ?? extra[RUN_LABEL];
    const cluster = await this.#cloud.findCluster(runId);
    const tags: Record<string, string> = {
      ...extra,
      [`kubernetes.io/cluster/${cluster.name}`]: 'owned',
      'kubernetes.io/service-name': key,
    };
    // As the AWS Load Balancer Controller tags the managed security group it makes for a Service.
    const securityGroupTags: Record<string, string> = {
      ...extra,
      'elbv2.k8s.aws/cluster': cluster.name,
      'service.k8s.aws/stack': key,
      'service.k8s.aws/resource': 'ManagedLBSecurityGroup',
    };
    const ports = (svc.spec.ports ?? []).map((p) => ({ port: p.port, nodePort: p.nodePort ?? p.port }));
    const dnsName = await this.#cloud.ensureLoadBalancer({
      name: lbName(svc.metadata.uid),
      cluster,
      tags,
      ports,
      securityGroupTags,
      stack: key,
    });
    await this.#kube.patch(`${path}/status`, { status: { loadBalancer: { ingress: [{ hostname: dnsName }] } } });
    console.log(`lb-controller: ${key}: NLB ${dnsName} in ${cluster.region} (cluster ${cluster.name})`);
  }
}

/** AWS's in-tree controller names NLBs "a" + 31 hex characters of the Service's uid. */
export function lbName(uid: string): string {
  return `a${createHash('sha256').update(uid).digest('hex').slice(0, 31)}`;
}

/** Parses "k1=v1,k2=v2" as AWS's controllers read the additional-resource-tags annotation. */
export function parseTags(annotation: string | undefined): Record<string, string> {
  const tags: Record<string, string> = {};
  for (const pair of (annotation ?? '').split(',')) {
    const eq = pair.indexOf('=');
    if (eq > 0) tags[pair.slice(0, eq).trim()] = pair.slice(eq + 1).trim();
  }
  return tags;
}
