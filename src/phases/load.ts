import type { KubeWorkloads, WorkloadRef } from '../adapters/kube-workloads.ts';
import { InterruptedError } from '../errors.ts';
import type { EventBus } from '../run/events.ts';
import type { Journal } from '../run/journal.ts';
import type { PhaseDurations } from '../suite/phases.ts';
import { interpolate, type KubeObject, type ParamValues } from '../suite/render.ts';
import { PHASES, type PhaseName, type Suite } from '../suite/schema.ts';
import { sleep } from '../util/sleep.ts';
import { appliedResource } from './deploy.ts';
import { beginPhase } from './record.ts';

/** One change to the load, at a planned offset from its phase's start. */
interface PlannedAction {
  offsetSeconds: number;
  action: 'scale' | 'rate' | 'start-workload' | 'stop-workload';
  detail: Record<string, unknown>;
  run: () => Promise<void>;
}

/** When a phase ran and what it did, for the summary and the report. */
export interface PhaseTiming {
  phase: PhaseName;
  plannedSeconds: number;
  startedAt: string;
  endedAt: string;
  actions: { action: string; plannedAt: string; at: string; detail: Record<string, unknown> }[];
}

export interface LoadInput {
  suite: Suite;
  durations: PhaseDurations;
  params: ParamValues;
  kube: KubeWorkloads;
  journal: Journal;
  events: EventBus;
  /** The load-carrying objects (e.g. a workload Job), rendered with the given parameter overrides. */
  renderWorkload: (overrides: Record<string, string>) => KubeObject[];
  signal?: AbortSignal;
  /** Countdown events every this many seconds (default 5). */
  tickSeconds?: number;
  /** Appended to the workload objects' names (e.g. a comparison's trial), before the rate step. */
  workloadSuffix?: string;
  /**
   * Called when a phase has started (before its load changes) and when its time is up (before the
   * next phase changes the load): a comparison measures its window between the two of `active`.
   */
  onPhaseEdge?: (phase: PhaseName, edge: 'start' | 'end', at: Date) => Promise<void>;
  /** Where each phase's timing is pushed as it ends (so a caller keeps them when a phase throws). */
  timings?: PhaseTiming[];
}

/**
 * Runs ramp, active and cool-down: each phase's start and end journaled with exact timestamps,
 * its load changes made at their planned offsets (each journaled with the planned time before
 * it is made), and a countdown for people. A phase of 0 s still makes its changes, at once.
 */
export async function runLoadPhases(input: LoadInput): Promise<PhaseTiming[]> {
  const timings: PhaseTiming[] = input.timings ?? [];
  const state = { workload: [] as KubeObject[], step: 0 };
  const clock = { lastTick: 0 };
  for (const name of PHASES) {
    const seconds = input.durations[name];
    const actions = planActions(input, name, seconds, state);
    const phase = beginPhase(
      input.journal,
      input.events,
      name,
      `${name} for ${seconds}s${input.suite.phases[name].description ? `: ${input.suite.phases[name].description}` : ''}`,
    );
    const start = Date.now();
    const timing: PhaseTiming = {
      phase: name,
      plannedSeconds: seconds,
      startedAt: new Date(start).toISOString(),
      endedAt: '',
      actions: [],
    };
    input.journal.append({
      type: 'note',
      phase: name,
      message: 'planned',
      data: {
        plannedSeconds: seconds,
        plannedEnd: new Date(start + seconds * 1000).toISOString(),
        actions: actions.map((a) => ({ offsetSeconds: a.offsetSeconds, action: a.action, ...a.detail })),
      },
    });
    try {
      await input.onPhaseEdge?.(name, 'start', new Date(start));
      for (const a of actions) {
        const plannedAt = start + a.offsetSeconds * 1000;
        await sleepUntil(plannedAt, input.signal, () => tick(input, clock, name, start + seconds * 1000));
        const record = input.journal.append({
          type: 'action',
          phase: name,
          action: a.action,
          data: { ...a.detail, plannedAt: new Date(plannedAt).toISOString() },
        });
        await a.run();
        timing.actions.push({
          action: a.action,
          plannedAt: new Date(plannedAt).toISOString(),
          at: record.t,
          detail: a.detail,
        });
        input.events.emit('info', name, `load.${a.action}`, describeAction(a));
      }
      await sleepUntil(start + seconds * 1000, input.signal, () => tick(input, clock, name, start + seconds * 1000));
      await input.onPhaseEdge?.(name, 'end', new Date());
    } catch (err) {
      timing.endedAt = new Date().toISOString();
      timings.push(timing);
      phase.failed(err);
      throw err;
    }
    timing.endedAt = new Date().toISOString();
    timings.push(timing);
    phase.done(`${name} done (${((Date.now() - start) / 1000).toFixed(1)}s)`);
  }
  return timings;
}

function describeAction(a: PlannedAction): string {
  const d = a.detail;
  if (a.action === 'scale') return `scaled ${d.workload} to ${d.replicas}`;
  if (a.action === 'rate') return `workload rate ${d.param}=${d.value}`;
  return `${a.action.replace('-', ' ')}${d.objects ? `: ${(d.objects as string[]).join(', ')}` : ''}`;
}

function tick(input: LoadInput, clock: { lastTick: number }, phase: PhaseName, end: number): void {
  const every = (input.tickSeconds ?? 5) * 1000;
  if (Date.now() - clock.lastTick < every) return;
  clock.lastTick = Date.now();
  const left = Math.max(0, Math.round((end - Date.now()) / 1000));
  input.events.emit('info', phase, 'phase.tick', `${phase}: ${left}s left`, { secondsLeft: left });
}

/** Resolves a number-or-${param} value of the suite. */
function numberOf(value: number | string | undefined, params: ParamValues, where: string): number | undefined {
  if (value === undefined) return undefined;
  const resolved = interpolate(value, params, where);
  return Number(resolved);
}

function planActions(
  input: LoadInput,
  phase: PhaseName,
  seconds: number,
  state: { workload: KubeObject[]; step: number },
): PlannedAction[] {
  const load = input.suite.phases[phase].load;
  const actions: PlannedAction[] = [];
  const where = `phases.${phase}.load`;
  if (load?.scale) {
    const s = load.scale;
    const ref = {
      kind: s.workload.kind as WorkloadRef['kind'],
      namespace: s.workload.namespace ?? 'default',
      name: s.workload.name,
    };
    const to = numberOf(s.to, input.params, where) as number;
    const from = numberOf(s.from, input.params, where) ?? to;
    // A ramp of 0 s goes straight to full load: no steps on the way.
    for (let k = seconds === 0 ? s.steps : 1; k <= s.steps; k++) {
      const replicas = Math.round(from + ((to - from) * k) / s.steps);
      actions.push({
        offsetSeconds: ((k - 1) * seconds) / s.steps,
        action: 'scale',
        detail: { workload: `${ref.kind} ${ref.namespace}/${ref.name}`, replicas, step: k, of: s.steps },
        run: () => input.kube.scale(ref, replicas),
      });
    }
  }
  if (load?.rate) {
    const r = load.rate;
    const to = numberOf(r.to, input.params, where) as number;
    const from = numberOf(r.from, input.params, where) ?? to;
    for (let k = seconds === 0 ? r.steps : 1; k <= r.steps; k++) {
      const value = Math.round((from + ((to - from) * k) / r.steps) * 1000) / 1000;
      actions.push({
        offsetSeconds: ((k - 1) * seconds) / r.steps,
        action: 'rate',
        detail: { param: r.param, value, step: k, of: r.steps },
        // A Job's pod template cannot change: each step replaces the workload with one at the new rate.
        run: () => replaceWorkload(input, state, { [r.param]: String(value) }),
      });
    }
  } else if (phase === 'ramp' && input.renderWorkload({}).length > 0) {
    actions.push({
      offsetSeconds: 0,
      action: 'start-workload',
      detail: {},
      run: () => replaceWorkload(input, state, {}),
    });
  }
  if (load?.stop) {
    actions.push({
      offsetSeconds: 0,
      action: 'stop-workload',
      detail: { objects: state.workload.map((o) => `${o.kind} ${o.metadata.namespace}/${o.metadata.name}`) },
      run: async () => {
        for (const o of state.workload) await input.kube.remove(o);
        for (const o of state.workload)
          input.journal.append({ type: 'resource-deleted', resource: appliedResource(o) });
        state.workload = [];
      },
    });
  }
  return actions;
}

async function replaceWorkload(
  input: LoadInput,
  state: { workload: KubeObject[]; step: number },
  overrides: Record<string, string>,
): Promise<void> {
  for (const o of state.workload) await input.kube.remove(o);
  for (const o of state.workload) input.journal.append({ type: 'resource-deleted', resource: appliedResource(o) });
  state.step++;
  const objects = input.renderWorkload(overrides).map((o) => ({
    ...o,
    metadata: { ...o.metadata, name: `${o.metadata.name}${input.workloadSuffix ?? ''}-${state.step}` },
  }));
  for (const o of objects) {
    input.journal.append({ type: 'resource-created', resource: appliedResource(o) });
    await input.kube.apply(o);
  }
  state.workload = objects;
}

/**
 * Sleeps until a moment, calling `onWait` about once a second; an abort ends it with InterruptedError.
 * Each second's sleep removes its abort listener when it ends: a phase of hours adds none to the run's signal.
 */
async function sleepUntil(at: number, signal: AbortSignal | undefined, onWait: () => void): Promise<void> {
  const interrupted = () => new InterruptedError('interrupted');
  while (Date.now() < at) {
    if (signal?.aborted) throw interrupted();
    onWait();
    await sleep(Math.min(1000, at - Date.now()), signal, interrupted);
  }
  if (signal?.aborted) throw interrupted();
}
