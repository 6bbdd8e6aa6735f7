import { createInterface } from 'node:readline/promises';

/** Asks a yes/no question on the terminal; false when no person is there (no TTY). */
export async function confirmOnTerminal(question: string): Promise<boolean> {
  if (!process.stdin.isTTY || !process.stderr.isTTY) return false;
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    const answer = await rl.question(`${question} [y/N] `);
    return /^y(es)?$/i.test(answer.trim());
  } finally {
    rl.close();
  }
}

/**
 * The run's confirmation when a person is at a terminal (stdin and stderr are TTYs), else
 * undefined: then only --yes lets a paid run start. The question itself is shown by the progress
 * view (the engine emits it as an event, which the live view shows as the preflight's line), so
 * this only reads the answer: writing the question here would be overwritten by the live view.
 */
export function terminalConfirm(
  streams: { input: NodeJS.ReadableStream & { isTTY?: boolean }; output: { isTTY?: boolean } } = {
    input: process.stdin,
    output: process.stderr,
  },
): ((question: string, signal?: AbortSignal) => Promise<boolean>) | undefined {
  if (!streams.input.isTTY || !streams.output.isTTY) return undefined;
  return async (_question, signal) => {
    const rl = createInterface({ input: streams.input, terminal: false });
    try {
      const answer = await new Promise<string>((resolve, reject) => {
        // The abort's reason is passed on as the caller gave it (an Error or not), as an aborted fetch would.
        // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors
        const onAbort = () => reject(signal?.reason ?? new Error('aborted'));
        if (signal?.aborted) return onAbort();
        signal?.addEventListener('abort', onAbort, { once: true });
        rl.once('line', (line) => {
          signal?.removeEventListener('abort', onAbort);
          resolve(line);
        });
        rl.once('close', () => resolve(''));
      });
      return /^y(es)?$/i.test(answer.trim());
    } finally {
      rl.close();
      // readline resumed stdin: paused again, it no longer keeps the process alive.
      streams.input.pause();
    }
  };
}
