/**
 * The engine never prints: it emits these events and `src/ui` decides how they look
 * (listr2 for a terminal, plain lines in CI, JSON lines for machines).
 */

export type EventLevel = 'debug' | 'info' | 'warn' | 'error';

/** What a tofu progress event carries (see src/adapters/tofu.ts, TofuProgress). */
interface TofuProgressData {
  command: 'init' | 'plan' | 'apply' | 'destroy';
  done: number;
  total: number | undefined;
  current: string | undefined;
  elapsedSeconds: number;
}

/** One cloud resource, as teardown's deleted / failed events name it. */
interface CloudResourceData {
  kind: string;
  id: string;
  region: string;
}

/** An event's levels and what its `data` holds (`undefined`: nothing). */
interface EventSpec<L extends EventLevel, D> {
  level: L;
  data: D;
}

/**
 * Every event the tool emits, by code: the levels it is emitted at and its payload. A code not
 * listed here does not type-check at `emit`, and a consumer narrows on `code` to read `data`.
 */
export interface EventCatalogue {
  'phase.start': EventSpec<'info', undefined>;
  'phase.end': EventSpec<'info', undefined>;
  /** `code`: the error's, when the preflight failed. */
  'phase.failed': EventSpec<'error', { code: string } | undefined>;
  'phase.tick': EventSpec<'info', { secondsLeft: number }>;
  'run.start': EventSpec<'info', { runId: string; runDir: string }>;
  /** A line a phase keeps in its final status, e.g. the command that opens Grafana. */
  'run.hint': EventSpec<'info', undefined>;

  'preflight.credentials': EventSpec<'info', { account: string; arn: string; region: string | undefined }>;
  'preflight.tofu': EventSpec<
    'info' | 'warn',
    { binary: string; kind: 'tofu' | 'terraform'; version: string } | undefined
  >;
  'preflight.api-allowed-cidrs': EventSpec<'info', { cidrs: string[] }>;
  'preflight.cost': EventSpec<
    'info',
    {
      currency: 'USD';
      perHour: number;
      total: number;
      wallClockSeconds: number;
      note: string;
      maxCost: number | undefined;
    }
  >;
  'preflight.confirm': EventSpec<'info', undefined>;

  'tofu.progress': EventSpec<'debug' | 'info', TofuProgressData>;
  'tofu.diagnostic': EventSpec<'warn' | 'error', undefined>;
  'provision.rollback': EventSpec<'warn', undefined>;
  'provision.rollback.failed': EventSpec<'error', undefined>;

  'lease.acquired': EventSpec<'info', undefined>;
  'lease.takeover': EventSpec<'warn', { holder: string; renewedAt: string } | { holder: string; why: string }>;
  'lease.lost': EventSpec<'warn', undefined>;
  'lease.renew': EventSpec<'warn', undefined>;
  'lease.release': EventSpec<'warn', undefined>;
  'lease.released': EventSpec<'info', undefined>;
  'lease.keep': EventSpec<'warn', undefined>;

  'deploy.tier': EventSpec<'info', undefined>;
  'verify.rollout': EventSpec<'info', undefined>;
  'verify.lb': EventSpec<'info', undefined>;
  'verify.placement': EventSpec<'info', undefined>;
  'verify.images': EventSpec<'info' | 'warn', undefined>;
  /** A load phase's scheduled action (scale, rate, start-workload, stop-workload) ran. */
  'load.scale': EventSpec<'info', undefined>;
  'load.rate': EventSpec<'info', undefined>;
  'load.start-workload': EventSpec<'info', undefined>;
  'load.stop-workload': EventSpec<'info', undefined>;
  'collect.metric': EventSpec<'info', undefined>;
  'collect.missing': EventSpec<'warn', undefined>;
  'measure.missing': EventSpec<'warn', undefined>;
  'compare.size': EventSpec<'info', undefined>;
  'compare.trial': EventSpec<'info', undefined>;
  'report.rewrite': EventSpec<'warn', undefined>;

  'teardown.kube.wait': EventSpec<'info', undefined>;
  'teardown.kube.deleted': EventSpec<'info', undefined>;
  'teardown.kube.namespaces': EventSpec<'info', undefined>;
  'teardown.kube.namespaces.gone': EventSpec<'info', undefined>;
  'teardown.kube.unreachable': EventSpec<'warn', undefined>;
  'teardown.elb.wait': EventSpec<'info', undefined>;
  'teardown.elb.poll': EventSpec<'info', { remaining: string[] }>;
  'teardown.elb.gone': EventSpec<'info', undefined>;
  'teardown.eni.wait': EventSpec<'info', undefined>;
  'teardown.eni.poll': EventSpec<'info', { remaining: string[] }>;
  'teardown.eni.gone': EventSpec<'info', { interfaces: string[] }>;
  'teardown.ecr': EventSpec<'info', undefined>;
  'teardown.destroy': EventSpec<'info', undefined>;
  'teardown.destroy.retry': EventSpec<'warn', undefined>;
  'teardown.cloud.leftovers': EventSpec<'info', { resources: string[] }>;
  'teardown.cloud.deleted': EventSpec<'info', CloudResourceData>;
  'teardown.cloud.failed': EventSpec<'warn', CloudResourceData>;
  'teardown.kept': EventSpec<'warn', undefined>;
  'teardown.lease': EventSpec<'warn', undefined>;

  'cleanup.wait-tofu': EventSpec<
    'info',
    { tofu?: { pid: number; command: string }; lockHolder?: number; waitedMs: number }
  >;
  'cleanup.absent': EventSpec<'info', undefined>;
  'cleanup.lease': EventSpec<'warn', undefined>;
  'cleanup.unreachable': EventSpec<'warn', undefined>;
  'cleanup.skipped': EventSpec<'info', undefined>;
  'cleanup.run': EventSpec<'info', undefined>;
  'cleanup.deleted': EventSpec<'info', undefined>;
  'cleanup.failed': EventSpec<'warn', undefined>;

  'grafana.forwarding': EventSpec<'info', { url: string; pod: string; namespace: string }>;

  'sandbox.already-up': EventSpec<'info', undefined>;
  'sandbox.crds.ready': EventSpec<'info', { crds: string[] }>;
  'sandbox.part.start': EventSpec<'info', { part: string; port: number | undefined }>;
  'sandbox.part.ready': EventSpec<'info', { part: string }>;
  'sandbox.nodes.ready': EventSpec<'info', { nodes: string[] }>;
  'sandbox.up.failed': EventSpec<'warn', undefined>;
  'sandbox.part.stopped': EventSpec<'info', { part: string }>;
}

/** A declared event code. */
export type EventCode = keyof EventCatalogue;

/** The levels an event is emitted at. */
export type EventLevelOf<C extends EventCode> = EventCatalogue[C]['level'];

/** What an event's `data` holds (undefined: it carries none). */
export type EventDataOf<C extends EventCode> = EventCatalogue[C]['data'];

/** The codes emitted at a level (what a helper that emits at that level may take). */
export type EventCodeAt<L extends EventLevel> = {
  [C in EventCode]: L extends EventLevelOf<C> ? C : never;
}[EventCode];

/** One event of one code. */
export interface BenchEventOf<C extends EventCode> {
  /** ISO-8601 time the event was emitted. */
  time: string;
  level: EventLevelOf<C>;
  /** Lifecycle step (preflight, provision, ..., teardown) or the command's own name. */
  phase: string;
  /** Stable, machine-readable event code, e.g. `phase.start`, `teardown.elb.poll`. */
  code: C;
  message: string;
  data?: EventDataOf<C>;
}

/** One thing that happened, typed so every renderer can show it: a union discriminated by `code`. */
export type BenchEvent = { [C in EventCode]: BenchEventOf<C> }[EventCode];

/** Anything that consumes events: a renderer, a recorder in a test, the journal. */
export type EventSink = (event: BenchEvent) => void;

/** Fans events out to every subscribed sink. */
export class EventBus {
  readonly #sinks = new Set<EventSink>();

  subscribe(sink: EventSink): () => void {
    this.#sinks.add(sink);
    return () => this.#sinks.delete(sink);
  }

  /** Emits an event stamped with the current time; its level and data are the code's (see EventCatalogue). */
  emit<C extends EventCode>(
    level: EventLevelOf<C>,
    phase: string,
    code: C,
    message: string,
    data?: EventDataOf<C>,
  ): void {
    const event: BenchEventOf<C> = { time: new Date().toISOString(), level, phase, code, message };
    if (data !== undefined) event.data = data;
    // A BenchEventOf<C> is one member of the union; TypeScript cannot see that for a generic C.
    for (const sink of this.#sinks) sink(event as BenchEvent);
  }
}
