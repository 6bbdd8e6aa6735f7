/**
 * The engine never prints: it emits these events and `src/ui` decides how they look
 * (listr2 for a terminal, plain lines in CI, JSON lines for machines).
 */

export type EventLevel = 'debug' | 'info' | 'warn' | 'error';

/** One thing that happened, typed so every renderer can show it. */
export interface BenchEvent {
  /** ISO-8601 time the event was emitted. */
  time: string;
  level: EventLevel;
  /** Lifecycle step (preflight, provision, ..., teardown) or the command's own name. */
  phase: string;
  /** Stable, machine-readable event code, e.g. `phase.start`, `check.failed`. */
  code: string;
  message: string;
  data?: Record<string, unknown>;
}

/** Anything that consumes events: a renderer, a recorder in a test, the journal. */
export type EventSink = (event: BenchEvent) => void;

/** Fans events out to every subscribed sink. */
export class EventBus {
  readonly #sinks = new Set<EventSink>();

  subscribe(sink: EventSink): () => void {
    this.#sinks.add(sink);
    return () => this.#sinks.delete(sink);
  }

  /** Emits an event stamped with the current time. */
  emit(level: EventLevel, phase: string, code: string, message: string, data?: Record<string, unknown>): void {
    const event: BenchEvent = { time: new Date().toISOString(), level, phase, code, message };
    if (data !== undefined) event.data = data;
    for (const sink of this.#sinks) sink(event);
  }
}
