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
