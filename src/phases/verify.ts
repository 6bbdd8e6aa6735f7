import type { KubeWorkloads, PodState, WorkloadRef } from '../adapters/kube-workloads.ts';
import { InfrastructureError } from '../errors.ts';
import type { EventBus } from '../run/events.ts';
import type { Journal } from '../run/journal.ts';
import type { SuitePlacement } from '../suite/schema.ts';
import { beginPhase } from './record.ts';

const PHASE = 'verify';

/** How long a pod may stay unschedulable before verify gives up on it (no autoscaler will come). */
export const UNSCHEDULABLE_GRACE_MS = 30_000;

export interface VerifyInput {
  kube: KubeWorkloads;
  journal: Journal;
  events: EventBus;
  workloads: WorkloadRef[];
  loadBalancers: { namespace: string; name: string }[];
  placements: SuitePlacement[];
  /** Pod selectors of the workloads, to explain a rollout that does not finish. */
  selectors: Map<string, Record<string, string>>;
  deadlineMs: number;
  signal?: AbortSignal;
  unschedulableGraceMs?: number;
}

/** What verify checked, for the summary. */
export interface VerifyResult {
  rolledOut: string[];
  loadBalancers: Record<string, string>;
  placements: { name: string; ok: boolean; detail: string }[];
}

/**
 * Waits (watches, each with the deadline) until every workload is rolled out and every
 * LoadBalancer Service has its hostname, then checks the suite's placement assertions. A pod the
 * scheduler cannot place fails verify early with the scheduler's reason and where the pods are.
 */
export async function verify(input: VerifyInput): Promise<VerifyResult> {
  const { kube, events, journal } = input;
  const phase = beginPhase(
    journal,
    events,
    PHASE,
    `waiting for ${input.workloads.length} workloads and ${input.loadBalancers.length} load balancers`,
  );
  try {
    const key = (w: WorkloadRef) => `${w.kind} ${w.namespace}/${w.name}`;
    await Promise.all(
      input.workloads.map(async (w) => {
        await kube.waitForRollout(w, {
          deadlineMs: input.deadlineMs,
          signal: input.signal,
          onPending: () => failIfStuck(input, w, key(w)),
        });
        events.emit('info', PHASE, 'verify.rollout', `${key(w)} rolled out`);
      }),
    ).catch(async (err) => {
      // A deadline is more useful with the reason pods are not there.
      if ((err as InfrastructureError).code === 'E_WAIT_DEADLINE') {
        const reasons = await explainPending(input);
        throw new InfrastructureError(
          'E_VERIFY_DEADLINE',
          `${(err as Error).message}${reasons ? `\n${reasons}` : ''}`,
          {
            fix: 'see why the pods are not ready (reasons above); the run tore down what it created',
          },
        );
      }
      throw err;
    });
    const hostnames: Record<string, string> = {};
    for (const lb of input.loadBalancers) {
      hostnames[`${lb.namespace}/${lb.name}`] = await kube.waitForLoadBalancer(lb.namespace, lb.name, {
        deadlineMs: input.deadlineMs,
        signal: input.signal,
      });
      events.emit(
        'info',
        PHASE,
        'verify.lb',
        `Service ${lb.namespace}/${lb.name}: ${hostnames[`${lb.namespace}/${lb.name}`]}`,
      );
    }
    const placements = await checkPlacements(kube, input.placements);
    journal.append({ type: 'note', phase: PHASE, message: 'placement', data: { placements } });
    const failed = placements.filter((p) => !p.ok);
    if (failed.length > 0) {
      throw new InfrastructureError(
        'E_PLACEMENT',
        `placement assertion failed: ${failed.map((p) => `${p.name}: ${p.detail}`).join('; ')}`,
        {
          fix: "check the suite's affinity rules and the node group's size; the run tore down what it created",
          data: { placements },
        },
      );
    }
    for (const p of placements) events.emit('info', PHASE, 'verify.placement', `${p.name}: ${p.detail}`);
    phase.done(`${input.workloads.length} workloads rolled out; ${placements.length} placement assertion(s) hold`);
    return { rolledOut: input.workloads.map(key), loadBalancers: hostnames, placements };
  } catch (err) {
    phase.failed(err);
    throw err;
  }
}

/**
 * Waiting reasons a kubelet gives that no wait can cure: the image reference does not parse, or
 * the pod asks never to pull an image the node does not have. Verify fails on them at once, with
 * the kubelet's reason, as it would only at its deadline otherwise.
 */
export const PERMANENT_WAITING_REASONS: readonly string[] = ['InvalidImageName', 'ErrImageNeverPull'];

async function failIfStuck(input: VerifyInput, w: WorkloadRef, key: string): Promise<void> {
  const selector = input.selectors.get(key);
  if (!selector) return;
  const pods = await input.kube.listPods(w.namespace, selector);
  const refused = pods.flatMap((p) =>
    (p.waiting ?? []).filter((c) => PERMANENT_WAITING_REASONS.includes(c.reason)).map((c) => ({ pod: p, ...c })),
  );
  const first = refused[0];
  if (first) {
    const pods = [...new Set(refused.map((r) => r.pod.name))];
    throw new InfrastructureError(
      first.reason === 'InvalidImageName' ? 'E_INVALID_IMAGE' : 'E_IMAGE_NOT_PRESENT',
      `${key}: ${pods.length} pod(s) cannot start: container ${first.container} of ${first.pod.name}: ${first.reason}${first.message ? ` (${first.message})` : ''}`,
      {
        fix:
          first.reason === 'InvalidImageName'
            ? "the kubelet refuses the container's image reference: fix the image in the suite, or give a valid one with --image NAME=REF"
            : 'the image is not on the node and imagePullPolicy is Never: push it to the node, or set imagePullPolicy to IfNotPresent',
        data: { workload: key, reason: first.reason, pods },
      },
    );
  }
  const grace = input.unschedulableGraceMs ?? UNSCHEDULABLE_GRACE_MS;
  const stuck = pods.filter(
    (p) => p.unschedulable && p.unschedulableSince && Date.now() - Date.parse(p.unschedulableSince) > grace,
  );
  if (stuck.length === 0) return;
  const events = await input.kube.schedulingEvents(w.namespace, stuck[0]?.name ?? '');
  const unschedulable = pods.filter((p) => p.unschedulable);
  throw new InfrastructureError(
    'E_UNSCHEDULABLE',
    `${key}: ${unschedulable.length} of ${pods.length} pods cannot be scheduled: ${events.at(-1) ?? stuck[0]?.unschedulable}\n  ${describePods(pods)}`,
    {
      fix: "the cluster cannot place these pods as the suite requires (see the scheduler's reason); give the node group larger or more nodes, or relax the affinity",
      data: { workload: key, pods },
    },
  );
}

async function explainPending(input: VerifyInput): Promise<string> {
  const lines: string[] = [];
  for (const w of input.workloads) {
    const key = `${w.kind} ${w.namespace}/${w.name}`;
    const selector = input.selectors.get(key);
    if (!selector) continue;
    const pods = await input.kube.listPods(w.namespace, selector);
    const notReady = pods.filter((p) => !p.ready);
    if (notReady.length === 0) continue;
    const reason = notReady.find((p) => p.unschedulable)?.unschedulable;
    lines.push(
      `  ${key}: ${notReady.length} of ${pods.length} pods not ready${reason ? ` (${reason})` : ''}: ${describePods(notReady)}`,
    );
  }
  return lines.join('\n');
}

/** "name@node (phase)" for each pod, for messages. */
function describePods(pods: PodState[]): string {
  // The kubelet's waiting reasons (ImagePullBackOff, CrashLoopBackOff, ...) say why a pod is not ready.
  const why = (p: PodState) => (p.waiting ?? []).map((w) => `, ${w.container}: ${w.reason}`).join('');
  return pods.map((p) => `${p.name}@${p.node ?? 'unscheduled'} (${p.phase}${why(p)})`).join(', ');
}

/** Evaluates the suite's placement assertions on the pods as they are. */
export async function checkPlacements(
  kube: KubeWorkloads,
  placements: SuitePlacement[],
): Promise<VerifyResult['placements']> {
  const results: VerifyResult['placements'] = [];
  for (const p of placements) {
    const pods = (await kube.listPods(p.namespace, p.selector)).filter(
      (x) => x.phase !== 'Succeeded' && x.phase !== 'Failed',
    );
    const byNode = new Map<string, number>();
    for (const pod of pods) byNode.set(pod.node ?? 'unscheduled', (byNode.get(pod.node ?? 'unscheduled') ?? 0) + 1);
    const where = [...byNode].map(([node, n]) => `${n} on ${node}`).join(', ') || 'no pods';
    if (p.type === 'co-located') {
      // topologyKey is kubernetes.io/hostname for the built-in suites; a node name stands for it.
      const ok = pods.length > 0 && byNode.size === 1 && !byNode.has('unscheduled');
      results.push({
        name: p.name,
        ok,
        detail: ok ? `all ${pods.length} pods on ${[...byNode.keys()][0]}` : `pods are spread: ${where}`,
      });
    } else {
      const nodes = await kube.schedulableNodes();
      const missing = nodes.filter((n) => !byNode.has(n));
      const doubled = [...byNode].filter(([, n]) => n > 1).map(([node]) => node);
      const ok = missing.length === 0 && doubled.length === 0 && pods.length === nodes.length;
      results.push({
        name: p.name,
        ok,
        detail: ok
          ? `one pod on each of the ${nodes.length} schedulable nodes`
          : `${pods.length} pods for ${nodes.length} schedulable nodes (${where}${missing.length ? `; none on ${missing.join(', ')}` : ''})`,
      });
    }
  }
  return results;
}
