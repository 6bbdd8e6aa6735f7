/**
 * Global setup of the integration and end-to-end tiers (`node --test --test-global-setup`): one
 * local cloud for the tier, started before any file and stopped after the last. Files reach it
 * through `sharedTestSandbox()` (test/harness/sandbox.ts), which reads its directory from the
 * environment the test files inherit.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startSandbox } from '../../src/sandbox/start.ts';
import { stopSandbox } from '../../src/sandbox/stop.ts';
import { SHARED_SANDBOX_ENV, SHARED_SANDBOX_OPTIONS } from './sandbox.ts';

let dir: string | undefined;

/** Starts the shared cloud. */
export async function globalSetup(): Promise<void> {
  dir = mkdtempSync(join(tmpdir(), 'bench-shared-sandbox-'));
  await startSandbox({ ...SHARED_SANDBOX_OPTIONS, dir, ports: 'auto' });
  process.env[SHARED_SANDBOX_ENV] = dir;
}

/** Stops it and removes its directory. */
export async function globalTeardown(): Promise<void> {
  if (!dir) return;
  await stopSandbox({ dir });
  rmSync(dir, { recursive: true, force: true });
}
