import { spawn } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';

/** A long-running process the tool starts and leaves running (a local-cloud part). */
export interface DaemonSpec {
  command: string;
  args: string[];
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** stdout and stderr go here (appended). */
  logFile: string;
}

/**
 * Starts a daemon in its own process group (so stopping it stops its children too), detached
 * from this process, with its output in a log file. Returns its pid.
 */
export function spawnDaemon(spec: DaemonSpec): number {
  const log = openSync(spec.logFile, 'a', 0o600);
  try {
    const child = spawn(spec.command, spec.args, {
      cwd: spec.cwd,
      env: spec.env ?? process.env,
      detached: true,
      stdio: ['ignore', log, log],
    });
    if (child.pid === undefined) throw new Error(`could not start ${spec.command}`);
    child.on('error', () => {
      // reported through the health check and the log file
    });
    child.unref();
    return child.pid;
  } finally {
    closeSync(log);
  }
}

/** True while the process exists and is not a zombie. */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
  try {
    // "pid (comm) S ..." — a zombie has exited, only its parent has not collected it yet.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

/**
 * Stops a daemon's whole process group: SIGTERM, then SIGKILL after the grace period.
 * Resolves once no process of the group is alive.
 */
export async function stopProcessGroup(pid: number, graceMs = 10_000): Promise<'stopped' | 'killed' | 'not-running'> {
  if (!isAlive(pid)) return 'not-running';
  const signalGroup = (signal: NodeJS.Signals) => {
    try {
      process.kill(-pid, signal);
    } catch {
      try {
        process.kill(pid, signal);
      } catch {
        // already gone
      }
    }
  };
  signalGroup('SIGTERM');
  const end = Date.now() + graceMs;
  while (Date.now() < end) {
    if (!isAlive(pid)) return 'stopped';
    await new Promise((r) => setTimeout(r, 100));
  }
  signalGroup('SIGKILL');
  const killEnd = Date.now() + 5000;
  while (Date.now() < killEnd && isAlive(pid)) await new Promise((r) => setTimeout(r, 50));
  return 'killed';
}

/** True when nothing listens on 127.0.0.1:port. */
export async function isPortFree(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, host, () => server.close(() => resolve(true)));
  });
}

/** A port on 127.0.0.1 that was free a moment ago. */
export async function pickFreePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port')),
      );
    });
  });
}
