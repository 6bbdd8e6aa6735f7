import { KubeConfig, CoordinationV1Api, CoreV1Api } from '@kubernetes/client-node';
import { isAlive } from '../../src/adapters/processes.ts';
import { startSandbox, type SandboxUpOptions } from '../../src/sandbox/start.ts';
import { readSandboxEnvFile, sandboxStatus, type SandboxStatus } from '../../src/sandbox/status.ts';
import { stopSandbox } from '../../src/sandbox/stop.ts';
import type { SandboxEnv } from '../../src/sandbox/config.ts';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A local cloud a test file uses: its own, or the tier's shared one. */
export interface TestSandbox {
  dir: string;
  status: SandboxStatus;
  env: SandboxEnv;
  kc: KubeConfig;
  /** The load-balancer deletion delay this cloud imposes, in seconds. */
  lbDeletionDelaySeconds: number;
  /** Stops a private cloud; gives a shared one back (after checking the file left no lease held). */
  stop(): Promise<void>;
}

/**
 * The shared cloud's settings (test/harness/global-setup.ts starts it once per tier): NLBs go 2 s
 * after deletion and their interfaces linger 2 s; most tests need the order, not the wait.
 */
export const SHARED_SANDBOX_OPTIONS = { lbDeletionDelaySeconds: 2, eniLingerSeconds: 2 } as const;

/** The environment variable naming the shared cloud's directory. */
export const SHARED_SANDBOX_ENV = 'BENCH_TEST_SHARED_SANDBOX';

/**
 * Starts a private local cloud for a test file, on free ports, in its own directory: for tests that
 * break the cloud or need settings the shared one does not have. NLB network interfaces linger 2 s
 * unless the test asks for more (the local cloud's default is AWS-like 30 s).
 */
export async function startTestSandbox(options: Omit<SandboxUpOptions, 'dir' | 'ports'> = {}): Promise<TestSandbox> {
  // Not tempDir(): this runs inside before(), where an after() hook would fire at once.
  const dir = mkdtempSync(join(tmpdir(), 'bench-sandbox-'));
  const status = await startSandbox({ eniLingerSeconds: 2, ...options, dir, ports: 'auto' });
  return handle(dir, status, options.lbDeletionDelaySeconds ?? 20, async () => {
    await stopSandbox({ dir });
    rmSync(dir, { recursive: true, force: true });
  });
}

/**
 * The tier's shared local cloud, held by this test file alone until `stop()`: runs on one cluster
 * take its Lease, so files that share it take turns (a lock file beside it), while files with private
 * clouds run alongside. Without a global setup (one file run on its own) a private cloud with the
 * shared settings is started instead, so each file still runs alone.
 */
export async function sharedTestSandbox(): Promise<TestSandbox> {
  const dir = process.env[SHARED_SANDBOX_ENV];
  if (!dir) return startTestSandbox(SHARED_SANDBOX_OPTIONS);
  const release = await takeLock(join(dir, 'test-file.lock'));
  const status = await sandboxStatus({ dir });
  if (!status.up) {
    release();
    throw new Error(`the shared local cloud in ${dir} is not up (${JSON.stringify(status.parts)})`);
  }
  let before: Set<string> = new Set();
  const sb = handle(dir, status, SHARED_SANDBOX_OPTIONS.lbDeletionDelaySeconds, async (sb) => {
    try {
      await removeNewNamespaces(sb, before);
      await assertNoLeaseHeld(sb);
    } finally {
      release();
    }
  });
  before = await namespaces(sb);
  return sb;
}

async function namespaces(sb: TestSandbox): Promise<Set<string>> {
  const list = await sb.kc.makeApiClient(CoreV1Api).listNamespace();
  return new Set(list.items.map((n) => n.metadata?.name ?? ''));
}

/**
 * The namespaces a file made for its own fixtures (a run's own are its teardown's business, and its
 * tests check them) go before the next file: the simulator would otherwise keep serving series for
 * their pods into the next file's runs.
 */
async function removeNewNamespaces(sb: TestSandbox, before: Set<string>): Promise<void> {
  const core = sb.kc.makeApiClient(CoreV1Api);
  const fresh = [...(await namespaces(sb))].filter((n) => !before.has(n));
  for (const name of fresh) await core.deleteNamespace({ name }).catch(() => undefined);
  await eventually(
    `namespaces ${fresh.join(', ')} gone`,
    async () => [...(await namespaces(sb))].every((n) => !fresh.includes(n)),
    120_000,
    500,
  );
}

function handle(
  dir: string,
  status: SandboxStatus,
  lbDeletionDelaySeconds: number,
  stop: (sb: TestSandbox) => Promise<void>,
): TestSandbox {
  const env = readSandboxEnvFile(status.envFile as string) as SandboxEnv;
  const kc = new KubeConfig();
  kc.loadFromFile(env.KUBECONFIG);
  const sb: TestSandbox = { dir, status, env, kc, lbDeletionDelaySeconds, stop: () => stop(sb) };
  return sb;
}

/**
 * A file that leaves the cluster's Lease held would make every later file's run refuse the cluster:
 * fail this file, naming the holder, and free the cluster for the next one.
 */
async function assertNoLeaseHeld(sb: TestSandbox): Promise<void> {
  const leases = sb.kc.makeApiClient(CoordinationV1Api);
  let holder: string | undefined;
  try {
    const lease = await leases.readNamespacedLease({ name: 'bench-run', namespace: 'kube-system' });
    holder = lease.spec?.holderIdentity ?? 'unknown';
  } catch (err) {
    if ((err as { code?: number }).code === 404) return;
    throw err;
  }
  await leases.deleteNamespacedLease({ name: 'bench-run', namespace: 'kube-system' });
  throw new Error(`this test file left the shared cluster's Lease kube-system/bench-run held by ${holder}`);
}

/** Takes an exclusive lock file (waiting for its holder), taking over one whose holder died. */
async function takeLock(path: string): Promise<() => void> {
  for (;;) {
    try {
      const fd = openSync(path, 'wx');
      writeSync(fd, String(process.pid));
      closeSync(fd);
      return () => rmSync(path, { force: true });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    if (!holderAlive(path)) {
      rmSync(path, { force: true });
      continue;
    }
    await new Promise((r) => setTimeout(r, 250));
  }
}

function holderAlive(path: string): boolean {
  let pid: number;
  try {
    pid = Number(readFileSync(path, 'utf8'));
  } catch {
    return false;
  }
  if (!Number.isInteger(pid) || pid <= 0) return true; // being written: wait
  return isAlive(pid);
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
