import { spawn } from 'node:child_process';
import { randomInt } from 'node:crypto';
import { closeSync, mkdirSync, openSync, readFileSync, statSync, utimesSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sleep } from '../util/sleep.ts';

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
    await sleep(100);
  }
  signalGroup('SIGKILL');
  const killEnd = Date.now() + 5000;
  while (Date.now() < killEnd && isAlive(pid)) await sleep(50);
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

/**
 * A port on 127.0.0.1 that was free a moment ago and that no other bench process on this machine
 * was handed in the last ten minutes.
 *
 * Why not `listen(0)`: the kernel picks that port from the ephemeral range, the same range it
 * picks the source port of every outgoing connection from. A local cloud starts its parts one
 * after another, and the connections of the first (kube-apiserver to etcd, the tests' clients)
 * can take the port a later part was promised before it binds (CI saw the agent die with
 * EADDRINUSE). So the port is drawn below the ephemeral range, where the kernel never hands out
 * source ports, and reserved with a file created exclusively in the temporary directory, so that
 * test files starting local clouds in parallel do not draw the same one.
 */
export async function pickFreePort(): Promise<number> {
  const [low, high] = portRangeBelowEphemeral();
  const dir = join(tmpdir(), 'bench-ports');
  mkdirSync(dir, { recursive: true });
  for (let attempt = 0; attempt < 200; attempt++) {
    const port = low + randomInt(high - low + 1);
    if (!reservePort(dir, port)) continue;
    if (await isPortFree(port)) return port;
  }
  throw new Error(`no free port found in ${low}-${high} after 200 tries`);
}

const RESERVATION_MS = 10 * 60_000;

function reservePort(dir: string, port: number): boolean {
  const file = join(dir, String(port));
  try {
    closeSync(openSync(file, 'wx'));
    return true;
  } catch {
    // Reserved by someone: reuse it only once the reservation is stale.
    try {
      if (Date.now() - statSync(file).mtimeMs < RESERVATION_MS) return false;
      utimesSync(file, new Date(), new Date());
      return true;
    } catch {
      return false;
    }
  }
}

/** The ports below the kernel's ephemeral range (Linux reads it from /proc), at most 20000 of them. */
function portRangeBelowEphemeral(): [number, number] {
  let start = 32768;
  try {
    const [first] = readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/);
    const n = Number(first);
    if (Number.isInteger(n) && n > 12000) start = n;
  } catch {
    // not Linux: 32768 is the BSD and Linux default
  }
  const high = start - 1;
  return [Math.max(10000, high - 20000), high];
}
