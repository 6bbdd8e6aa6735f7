import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { isAlive } from '../adapters/processes.ts';
import { cacheRoot, knownSandboxesFile, PARTS, sandboxFiles, type PartName } from './layout.ts';

/**
 * The state of a local cloud on disk: its state file (what `bench sandbox up` started, on which
 * ports, with which pids) and the machine's list of directories where one was started.
 */

/** How long an NLB's network interfaces outlive it on the local cloud unless told otherwise. */
export const DEFAULT_ENI_LINGER_SECONDS = 30;

/** One part as recorded in the state file. */
export interface PartState {
  pid: number | undefined;
  port: number;
  url: string;
  log: string;
}

/** The state file of a running (or half-started) local cloud. */
export interface SandboxState {
  version: 1;
  dir: string;
  startedAt: string;
  region: string;
  nodes: number;
  lbDeletionDelaySeconds: number;
  /** Absent in state files written before it existed (then 30). */
  eniLingerSeconds?: number;
  ports: Record<PartName | 'etcd-peer', number>;
  parts: Partial<Record<PartName, PartState>>;
  kubeconfig: string;
  envFile: string;
  /** True once every part was ready; false while up runs or after it failed. */
  complete: boolean;
}

/** Reads the state file of a sandbox directory, if there is one. */
export function readSandboxState(dir: string): SandboxState | undefined {
  const path = sandboxFiles(dir).state;
  if (!existsSync(path)) return undefined;
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as SandboxState;
  } catch {
    return undefined;
  }
}

/** Writes the state file atomically, readable by its owner only. */
export function saveSandboxState(state: SandboxState): void {
  const path = sandboxFiles(state.dir).state;
  writeFileSync(`${path}.tmp`, JSON.stringify(state, null, 2), { mode: 0o600 });
  renameSync(`${path}.tmp`, path);
}

/** Adds a directory to the list of local clouds started on this machine (best effort). */
export function rememberSandboxDir(dir: string, env: NodeJS.ProcessEnv): void {
  const file = knownSandboxesFile(env);
  try {
    const known = readKnownSandboxDirs(env).filter((d) => d !== dir);
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, JSON.stringify([dir, ...known].slice(0, 50), null, 2));
  } catch {
    // Only used to say where else a local cloud is up; never worth failing `sandbox up` for.
  }
}

/** The directories `bench sandbox up` started a local cloud in on this machine, the latest first. */
export function readKnownSandboxDirs(env: NodeJS.ProcessEnv): string[] {
  try {
    const list = JSON.parse(readFileSync(knownSandboxesFile(env), 'utf8')) as unknown;
    return Array.isArray(list) ? list.filter((d): d is string => typeof d === 'string') : [];
  } catch {
    return [];
  }
}

/**
 * Other directories where a local cloud is up right now (its state complete and every part's
 * process alive; no health check, so this stays fast): the default one and every one `bench
 * sandbox up` started on this machine.
 */
export function otherSandboxesUp(dir: string, env: NodeJS.ProcessEnv = process.env): string[] {
  const candidates = [join(cacheRoot(env), 'sandbox', 'instance'), ...readKnownSandboxDirs(env)];
  const up: string[] = [];
  for (const other of new Set(candidates.map((d) => resolve(d)))) {
    if (other === resolve(dir)) continue;
    const state = readSandboxState(other);
    const alive =
      state?.complete &&
      PARTS.every((p) => {
        const pid = state.parts[p]?.pid;
        return pid !== undefined && isAlive(pid);
      });
    if (alive) up.push(other);
  }
  return up;
}
