import { KubeConfig } from '@kubernetes/client-node';
import { startSandbox, type SandboxUpOptions } from '../../src/sandbox/start.ts';
import { readSandboxEnvFile, type SandboxStatus } from '../../src/sandbox/status.ts';
import { stopSandbox } from '../../src/sandbox/stop.ts';
import type { SandboxEnv } from '../../src/sandbox/config.ts';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A local cloud started for one test file, on free ports, in its own directory. */
export interface TestSandbox {
  dir: string;
  status: SandboxStatus;
  env: SandboxEnv;
  kc: KubeConfig;
  stop(): Promise<void>;
}

/**
 * Starts a local cloud for a test file. NLB network interfaces linger 2 s unless the test asks for
 * more (the local cloud's default is AWS-like 30 s; most tests only need the order, not the wait).
 */
export async function startTestSandbox(options: Omit<SandboxUpOptions, 'dir' | 'ports'> = {}): Promise<TestSandbox> {
  // Not tempDir(): this runs inside before(), where an after() hook would fire at once.
  const dir = mkdtempSync(join(tmpdir(), 'bench-sandbox-'));
  const status = await startSandbox({ eniLingerSeconds: 2, ...options, dir, ports: 'auto' });
  const env = readSandboxEnvFile(status.envFile as string) as SandboxEnv;
  const kc = new KubeConfig();
  kc.loadFromFile(env.KUBECONFIG);
  return {
    dir,
    status,
    env,
    kc,
    stop: async () => {
      await stopSandbox({ dir });
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Polls until `check` returns a value (not undefined/false), or fails at the deadline with the last state. */
export async function eventually<T>(
  what: string,
  check: () => Promise<T | undefined | false>,
  deadlineMs = 30_000,
  intervalMs = 200,
): Promise<T> {
  const end = Date.now() + deadlineMs;
  let last: unknown;
  while (Date.now() < end) {
    try {
      const value = await check();
      if (value !== undefined && value !== false) return value;
    } catch (err) {
      last = err;
    }
    await new Promise((r) => setTimeout(r, intervalMs));
  }
  throw new Error(`${what}: not within ${deadlineMs} ms${last ? ` (last error: ${(last as Error).message})` : ''}`);
}
