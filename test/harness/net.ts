/** A TCP port on 127.0.0.1 that was free a moment ago (the tool's own helper). */
export { pickFreePort as freePort } from '../../src/adapters/processes.ts';

/** Polls an HTTP URL until it answers below 500, or fails at the deadline. */
export async function waitForHttp(url: string, deadlineMs: number, init: RequestInit = {}): Promise<void> {
  const end = Date.now() + deadlineMs;
  let last = 'no answer';
  while (Date.now() < end) {
    try {
      const res = await fetch(url, { ...init, signal: AbortSignal.timeout(2000) });
      await res.arrayBuffer();
      if (res.status < 500) return;
      last = `HTTP ${res.status}`;
    } catch (err) {
      last = (err as Error).message;
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`${url} did not answer within ${deadlineMs} ms (${last})`);
}
