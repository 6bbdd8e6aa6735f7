import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import type { AppliedObject, KubeWorkloads, WorkloadRef } from '../adapters/kube-workloads.ts';
import { BenchError, InterruptedError } from '../errors.ts';
import type { EventBus } from '../run/events.ts';
import type { Journal, ResourceRef } from '../run/journal.ts';
import type { KubeObject, RenderedObject } from '../suite/render.ts';
import { RUN_ID_LABEL } from '../suite/render.ts';
import { grafanaCommand, locateGrafana } from '../suite/grafana.ts';
import { beginPhase } from './record.ts';
import { sleep } from '../util/sleep.ts';

const PHASE = 'deploy';

/** A Service of type LoadBalancer or an Ingress: applying one makes the cloud create a billed load balancer. */
export function createsLoadBalancer(o: { kind: string; spec?: unknown }): boolean {
  return (
    o.kind === 'Ingress' || (o.kind === 'Service' && (o.spec as { type?: string } | undefined)?.type === 'LoadBalancer')
  );
}

/**
 * Apply order: what others live in or are typed by first, then cluster-wide objects, then the
 * rest; objects that make the cloud create a load balancer last, so a Ctrl-C during the rest
 * stops before any of them.
 */
function tier(o: { kind: string; spec?: unknown }): number {
  const kind = o.kind;
  if (createsLoadBalancer(o)) return 5;
  if (kind === 'Namespace') return 0;
  if (kind === 'CustomResourceDefinition') return 1;
  if (['ClusterRole', 'ClusterRoleBinding', 'PriorityClass', 'StorageClass'].includes(kind)) return 2;
  if (['ServiceAccount', 'ConfigMap', 'Secret', 'Role', 'RoleBinding'].includes(kind)) return 3;
  return 4;
}

/** The journal's record of an applied object (enough for teardown to find and delete it). */
export function appliedResource(o: Pick<KubeObject, 'apiVersion' | 'kind' | 'metadata'>): ResourceRef {
  const ns = o.metadata.namespace;
  return {
    kind: 'kube-object',
    id: `${o.kind} ${ns ? `${ns}/` : ''}${o.metadata.name}`,
    objectKind: o.kind,
    apiVersion: o.apiVersion,
    namespace: ns,
    name: o.metadata.name,
  };
}

export interface DeployResult {
  applied: AppliedObject[];
  /** Workloads deployed, for verify's rollout checks. */
  workloads: WorkloadRef[];
  /** LoadBalancer Services deployed, for verify. */
  loadBalancers: { namespace: string; name: string }[];
  /** Where the rendered manifests were written. */
  manifestsDir: string;
}

/**
 * Server-side applies the rendered objects with the tool's field manager, tier by tier
 * (namespaces, CRDs, cluster-wide, namespaced configuration, workloads), concurrently within a
 * tier. Each object is journaled before it is applied. Re-applying changes nothing.
 */
export async function deploy(input: {
  objects: RenderedObject[];
  runId: string;
  runDir: string;
  kube: KubeWorkloads;
  journal: Journal;
  events: EventBus;
  /** The run's signal: once aborted, nothing more is applied (InterruptedError). */
  signal?: AbortSignal;
}): Promise<DeployResult> {
  const { journal, events, kube, signal } = input;
  const phase = beginPhase(journal, events, PHASE, `applying ${input.objects.length} objects`);
  try {
    const manifestsDir = writeRenderedManifests(input.runDir, input.objects);
    const objects = input.objects.map((o) => o.object);
    const secrets = generatedSecrets(objects, input.runId);
    const all = [...objects, ...secrets];
    const applied: AppliedObject[] = [];
    const stopIfInterrupted = (before: string) => {
      if (signal?.aborted) throw new InterruptedError(`interrupted: deploy stopped before ${before}`);
    };
    for (const t of [...new Set(all.map((o) => tier(o)))].sort()) {
      const batch = all.filter((o) => tier(o) === t);
      // Checked once more right before each object is journaled and applied (nothing is applied
      // after a Ctrl-C); a load balancer's Service is the one that bills.
      stopIfInterrupted(`${batch.length} more object(s)`);
      const results = await Promise.all(
        batch.map((o) => {
          const id = appliedResource(o).id;
          stopIfInterrupted(createsLoadBalancer(o) ? `${id} (no cloud load balancer was created)` : id);
          journal.append({ type: 'resource-created', resource: appliedResource(o) });
          return applyWithRetry(kube, o, signal);
        }),
      );
      applied.push(...results);
      events.emit(
        'info',
        PHASE,
        'deploy.tier',
        `applied ${batch.map((o) => `${o.kind} ${o.metadata.name}`).join(', ')}`,
      );
    }
    const workloads = objects
      .filter((o): o is KubeObject & { kind: WorkloadRef['kind'] } =>
        ['Deployment', 'StatefulSet', 'DaemonSet'].includes(o.kind),
      )
      .map((o) => ({ kind: o.kind, namespace: o.metadata.namespace ?? 'default', name: o.metadata.name }));
    const loadBalancers = objects
      .filter((o) => o.kind === 'Service' && createsLoadBalancer(o))
      .map((o) => ({ namespace: o.metadata.namespace ?? 'default', name: o.metadata.name }));
    // Grafana is reached by port-forward: the progress names the command (src/ui/progress.ts keeps it).
    if (locateGrafana(objects)) events.emit('info', PHASE, 'run.hint', `Grafana: ${grafanaCommand(input.runId)}`);
    phase.done(`${applied.length} objects applied`);
    return { applied, workloads, loadBalancers, manifestsDir };
  } catch (err) {
    phase.failed(err);
    throw err;
  }
}

/**
 * A namespace's default ServiceAccount appears a moment after the namespace; until then the API
 * server refuses pods and workloads that need it. Retry that (and only that) for a while.
 */
async function applyWithRetry(kube: KubeWorkloads, object: KubeObject, signal?: AbortSignal): Promise<AppliedObject> {
  const end = Date.now() + 60_000;
  for (;;) {
    try {
      return await kube.apply(object);
    } catch (err) {
      // The adapter's error (src/adapters/kube-errors.ts) carries the status and the API server's message.
      const data = err instanceof BenchError ? err.data : undefined;
      const said = String(data?.message ?? JSON.stringify((err as { body?: unknown }).body ?? (err as Error).message));
      const status = (data?.status as number | undefined) ?? (err as { code?: number }).code;
      if (
        Date.now() > end ||
        signal?.aborted ||
        !/serviceaccount|not found|namespace .* is being terminated/i.test(said) ||
        status === 422
      )
        throw err;
      await sleep(500);
    }
  }
}

/**
 * Secrets the manifests refer to but must not contain: the Grafana admin password is generated
 * per run and lives only in the cluster (never in the run directory, the journal or a log).
 */
function generatedSecrets(objects: KubeObject[], runId: string): KubeObject[] {
  const wanted = new Map<string, { namespace: string; name: string; keys: Set<string> }>();
  const visit = (value: unknown, namespace: string) => {
    if (Array.isArray(value)) value.forEach((v) => visit(v, namespace));
    else if (value && typeof value === 'object') {
      const ref = (value as { secretKeyRef?: { name?: string; key?: string; optional?: boolean } }).secretKeyRef;
      if (ref?.name && ref.key && ref.optional !== true) {
        const id = `${namespace}/${ref.name}`;
        const entry = wanted.get(id) ?? { namespace, name: ref.name, keys: new Set<string>() };
        entry.keys.add(ref.key);
        wanted.set(id, entry);
      }
      for (const v of Object.values(value)) visit(v, namespace);
    }
  };
  for (const o of objects) visit(o.spec, o.metadata.namespace ?? 'default');
  const provided = new Set(
    objects.filter((o) => o.kind === 'Secret').map((o) => `${o.metadata.namespace ?? 'default'}/${o.metadata.name}`),
  );
  return [...wanted.entries()]
    .filter(([id]) => !provided.has(id))
    .map(([, s]) => ({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: s.name, namespace: s.namespace, labels: { [RUN_ID_LABEL]: runId } },
      type: 'Opaque',
      stringData: Object.fromEntries([...s.keys].map((k) => [k, randomBytes(18).toString('base64url')])),
    }));
}

/** Keeps what was applied, for the record (no secret is among the rendered objects). */
function writeRenderedManifests(runDir: string, objects: RenderedObject[]): string {
  const dir = join(runDir, 'manifests');
  mkdirSync(dir, { recursive: true });
  const byVariant = new Map<string, KubeObject[]>();
  for (const o of objects) byVariant.set(o.variant ?? 'all', [...(byVariant.get(o.variant ?? 'all') ?? []), o.object]);
  for (const [variant, list] of byVariant)
    writeFileSync(join(dir, `${variant}.yaml`), list.map((o) => stringify(o)).join('---\n'));
  return dir;
}
