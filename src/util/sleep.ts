import { InterruptedError } from '../errors.ts';

/**
 * Waits `ms` milliseconds. Aborting the signal (before or during the wait) ends it at once with
 * `interrupted()` (default an InterruptedError), and the wait leaves nothing behind: its timer is
 * cleared and its abort listener removed either way, so a long loop of sleeps on one signal does
 * not pile listeners onto it.
 */
export function sleep(
  ms: number,
  signal?: AbortSignal,
  interrupted: () => Error = () => new InterruptedError('interrupted'),
): Promise<void> {
  if (signal?.aborted) return Promise.reject(interrupted());
  return new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    function onAbort() {
      clearTimeout(timer);
      reject(interrupted());
    }
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
