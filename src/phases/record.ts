import type { EventBus } from '../run/events.ts';
import type { Journal } from '../run/journal.ts';

/** A phase in progress: its end is written to the journal and announced once. */
export interface PhaseRecord {
  done(message: string): void;
  failed(err: unknown): void;
}

/**
 * Starts a phase: journaled before it acts (so a crash shows where it was) and announced to the
 * renderers, which show one line or task per phase.
 */
export function beginPhase(journal: Journal, events: EventBus, phase: string, message: string): PhaseRecord {
  journal.append({ type: 'phase-start', phase });
  events.emit('info', phase, 'phase.start', message);
  return {
    done(doneMessage) {
      journal.append({ type: 'phase-end', phase, ok: true });
      events.emit('info', phase, 'phase.end', doneMessage);
    },
    failed(err) {
      const text = err instanceof Error ? err.message : String(err);
      journal.append({ type: 'phase-end', phase, ok: false });
      events.emit('error', phase, 'phase.failed', text.split('\n')[0] ?? text);
    },
  };
}
