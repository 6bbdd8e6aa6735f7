import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import type { AppliedObject, KubeWorkloads, WorkloadRef } from '../adapters/kube-workloads.ts';
import type { EventBus } from '../run/events.ts';
import type { Journal, ResourceRef } from '../run/journal.ts';
import type { KubeObject, RenderedObject } from '../suite/render.ts';
import { RUN_ID_LABEL } from '../suite/render.ts';
import { grafanaCommand, locateGrafana } from '../suite/grafana.ts';
import { beginPhase } from './record.ts';

const PHASE = 'deploy';

/** Apply order: what others live in or are typed by first, then cluster-wide objects, then the rest. */
function tier(kind: string): number {
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
}): Promise<DeployResult> {
  const { journal, events, kube } = input;
  const phase = beginPhase(journal, events, PHASE, `applying ${input.objects.length} objects`);
  try {
    const manifestsDir = writeRenderedManifests(input.runDir, input.objects);
    const objects = input.objects.map((o) => o.object);
    const secrets = generatedSecrets(objects, input.runId);
    const all = [...objects, ...secrets];
    const applied: AppliedObject[] = [];
    for (const t of [...new Set(all.map((o) => tier(o.kind)))].sort()) {
      const batch = all.filter((o) => tier(o.kind) === t);
      for (const o of batch) journal.append({ type: 'resource-created', resource: appliedResource(o) });
      const results = await Promise.all(batch.map((o) => applyWithRetry(kube, o)));
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
      .filter((o) => o.kind === 'Service' && (o.spec as { type?: string } | undefined)?.type === 'LoadBalancer')
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
async function applyWithRetry(kube: KubeWorkloads, object: KubeObject): Promise<AppliedObject> {
  const end = Date.now() + 60_000;
  for (;;) {
    try {
      return await kube.apply(object);
    } catch (err) {
      const body = JSON.stringify((err as { body?: unknown }).body ?? (err as Error).message);
      if (
        Date.now() > end ||
        !/serviceaccount|not found|namespace .* is being terminated/i.test(body) ||
        (err as { code?: number }).code === 422
      )
        throw err;
      await new Promise((r) => setTimeout(r, 500));
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
