import { resolve } from 'node:path';
import { isAlive, stopProcessGroup } from '../adapters/processes.ts';
import { InfrastructureError } from '../errors.ts';
import type { EventBus } from '../run/events.ts';
import { defaultSandboxDir, PARTS, type PartName } from './layout.ts';
import { readSandboxState, saveSandboxState, type SandboxState } from './state.ts';

/** Stops every part recorded in the state, the last started first; returns those that were running. */
export async function stopParts(state: SandboxState): Promise<PartName[]> {
  const stopped: PartName[] = [];
  for (const part of [...PARTS].reverse()) {
    const pid = state.parts[part]?.pid;
    if (pid === undefined) continue;
    const result = await stopProcessGroup(pid);
    if (result !== 'not-running') stopped.push(part);
  }
  return stopped;
}

/** What `bench sandbox down` stopped. */
export interface SandboxDownResult {
  dir: string;
  stopped: PartName[];
  /** Parts whose process was still alive after SIGKILL (should be none). */
  leftRunning: PartName[];
}

/** Stops every part of the local cloud recorded in the state file; idempotent, and safe after a failed up. */
export async function stopSandbox(
  options: { dir?: string; env?: NodeJS.ProcessEnv; events?: EventBus } = {},
): Promise<SandboxDownResult> {
  const dir = options.dir ? resolve(options.dir) : defaultSandboxDir(options.env ?? process.env);
  const state = readSandboxState(dir);
  if (!state) return { dir, stopped: [], leftRunning: [] };
  const stopped = await stopParts(state);
  for (const part of stopped)
    options.events?.emit('info', 'sandbox', 'sandbox.part.stopped', `${part} stopped`, { part });
  const leftRunning = PARTS.filter((p) => {
    const pid = state.parts[p]?.pid;
    return pid !== undefined && isAlive(pid);
  });
  if (leftRunning.length > 0) {
    throw new InfrastructureError('E_SANDBOX_STOP', `could not stop: ${leftRunning.join(', ')}`, {
      fix: `kill the processes by hand: ${leftRunning.map((p) => state.parts[p]?.pid).join(' ')}`,
    });
  }
  state.complete = false;
  state.parts = {};
  saveSandboxState(state);
  return { dir, stopped, leftRunning };
}
