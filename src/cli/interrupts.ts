import { join } from 'node:path';
import type { EventBus } from '../run/events.ts';
import { aliveResources, readJournal } from '../run/journal.ts';
import { cleanupCommand, JOURNAL_FILE } from '../run/run-dir.ts';

/**
 * One Ctrl-C means: stop what runs and tear down gracefully (tofu gets exactly one SIGINT from
 * the adapter). A second one means: leave now, after saying what is left and how to remove it.
 * Installed by commands instead of listr2's own handler, which would exit at once.
 */
export function handleInterrupts(onSecond: () => string): { signal: AbortSignal; dispose: () => void } {
  const controller = new AbortController();
  let count = 0;
  const handler = () => {
    count++;
    if (count === 1) {
      process.stderr.write('\nInterrupt received: stopping and tearing down (press Ctrl-C again to leave now).\n');
      controller.abort();
      return;
    }
    process.stderr.write(`\n${onSecond()}\n`);
    process.exit(130);
  };
  process.on('SIGINT', handler);
  return { signal: controller.signal, dispose: () => process.off('SIGINT', handler) };
}

/**
 * {@link handleInterrupts} for a command that starts a run (`run`, `compare`): a second Ctrl-C
 * says what the run's journal shows alive and the cleanup command that removes it.
 */
export function handleRunInterrupts(
  events: EventBus,
  runsDir: string | undefined,
): { signal: AbortSignal; dispose: () => void } {
  let run: { runId: string; runDir: string } | undefined;
  events.subscribe((e) => {
    if (e.code === 'run.start' && e.data) run = e.data;
  });
  return handleInterrupts(() => {
    if (!run) return 'Left before anything was created.';
    const alive = aliveResources(readJournal(join(run.runDir, JOURNAL_FILE)).records);
    const list = alive.length
      ? `Still alive:\n  ${alive.map((r) => `${r.kind} ${r.id}`).join('\n  ')}`
      : 'The journal records nothing alive.';
    return `Left before teardown finished. ${list}\nRemove what is left with: ${cleanupCommand(run.runId, runsDir)}`;
  });
}
