import { InfrastructureError, InterruptedError } from '../errors.ts';
import { sleep } from './sleep.ts';

/** How {@link pollUntil} looks, how often, and for how long. */
export interface PollUntilOptions<T> {
  /**
   * Looks once and returns the state seen. Its signal ends at the deadline or on abort, so a look
   * that hangs (an API that does not answer) cannot hold the wait past its deadline.
   */
  check: (signal: AbortSignal) => Promise<T>;
  /** Whether a state is the one waited for. */
  isDone: (state: T) => boolean;
  /** Time between the end of one look and the start of the next. */
  intervalMs: number;
  /** The wait fails this many milliseconds after it started. */
  deadlineMs: number;
  /** Aborting it ends the wait at once (a sleep between looks included). */
  signal?: AbortSignal;
  /** What is waited for, as the default errors name it ("the load balancers to go"). */
  what: string;
  /** Called after every look with its state, for progress events. */
  onPoll?: (state: T, waitedMs: number) => void;
  /** How the default deadline error shows the last state (default: JSON). */
  describe?: (state: T) => string;
  /** The error of an abort, given the last state (undefined: no look finished). */
  interrupted?: (last: T | undefined) => Error;
  /** The error of the deadline, given the last state (undefined: no look finished). */
  pastDeadline?: (last: T | undefined) => Error;
}

/** The state that ended a {@link pollUntil} wait, and what the wait took. */
export interface PollUntilResult<T> {
  state: T;
  waitedMs: number;
  polls: number;
}

/**
 * Looks at once, then every `intervalMs`, until `isDone` holds, and returns the state that ended
 * the wait. The deadline is kept even when the next look would start after it: the wait then
 * sleeps until the deadline and fails with the last state seen (a look in flight at the deadline
 * is cut off through its signal). No fixed sleep outlives an abort: it ends the wait at once.
 * A look that throws ends the wait with its error, unless the deadline or an abort caused it.
 *
 * Time is read from `Date.now()` and the deadline kept with `setTimeout`, so that fake timers
 * (node:test's `mock.timers` with `Date`) drive a wait in tests.
 */
export async function pollUntil<T>(options: PollUntilOptions<T>): Promise<PollUntilResult<T>> {
  const { check, isDone, intervalMs, deadlineMs, signal, what } = options;
  const describe = options.describe ?? ((state: T) => JSON.stringify(state));
  const interrupted =
    options.interrupted ?? (() => new InterruptedError(`interrupted while waiting for ${what}`, { data: { what } }));
  const pastDeadline =
    options.pastDeadline ??
    ((last: T | undefined) =>
      new InfrastructureError(
        'E_WAIT_DEADLINE',
        `gave up waiting for ${what} after ${Math.round(deadlineMs / 1000)}s: ${
          last === undefined ? 'no look finished before the deadline' : `last seen ${describe(last)}`
        }`,
        { data: { what, deadlineMs, last } },
      ));
  const started = Date.now();
  const deadline = new AbortController();
  const deadlineTimer = setTimeout(() => deadline.abort(), Math.max(0, deadlineMs));
  const checkSignal = signal ? AbortSignal.any([signal, deadline.signal]) : deadline.signal;
  let last: T | undefined;
  let polls = 0;
  try {
    for (;;) {
      if (signal?.aborted) throw interrupted(last);
      let state: T;
      try {
        state = await check(checkSignal);
      } catch (err) {
        if (signal?.aborted) throw interrupted(last);
        if (deadline.signal.aborted) throw pastDeadline(last);
        throw err;
      }
      last = state;
      polls += 1;
      const waitedMs = Date.now() - started;
      options.onPoll?.(state, waitedMs);
      if (isDone(state)) return { state, waitedMs, polls };
      const untilDeadline = deadlineMs - waitedMs;
      // The next look, or the deadline if that comes first: what was seen last is then the answer.
      await sleep(Math.max(0, Math.min(intervalMs, untilDeadline)), signal, () => interrupted(state));
      if (intervalMs >= untilDeadline) throw pastDeadline(state);
    }
  } finally {
    clearTimeout(deadlineTimer);
  }
}
