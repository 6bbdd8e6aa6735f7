import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import {
  closeSync,
  cpSync,
  existsSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  readSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { BenchError, InfrastructureError, InterruptedError } from '../errors.ts';
import { sleep } from '../util/sleep.ts';
import { isAlive } from './processes.ts';

/** Live progress of one tofu command, built from its `-json` UI stream. */
export interface TofuProgress {
  command: 'init' | 'plan' | 'apply' | 'destroy';
  /** Resources the operation will touch, from the planned changes (undefined until known). */
  total: number | undefined;
  /** Resource operations finished so far, failed ones included. */
  done: number;
  /** The resource being worked on now (address), if any. */
  current: string | undefined;
  /** Seconds since the command started. */
  elapsedSeconds: number;
  /** The last human message tofu gave (e.g. "terraform_data.network: Creating..."). */
  message: string | undefined;
}

/** A diagnostic (error or warning) tofu reported. */
export interface TofuDiagnostic {
  severity: 'error' | 'warning';
  summary: string;
  detail: string;
  /** The resource instance the diagnostic is about, when tofu names one. */
  address?: string;
  /** The tofu command that reported it (so a destroy's warning is labelled as teardown's). */
  command?: string;
}

/** One tofu subprocess just started (see {@link TofuRunOptions.onStart}). */
export interface TofuStart {
  /** The tofu command, e.g. `apply`, `state list`. */
  command: string;
  pid: number;
  /** The file tofu writes its stdout (the `-json` UI) to. */
  stdoutPath: string;
}

/** Where and how one root module is run. */
export interface TofuRunOptions {
  /** The root module (e.g. <package>/infra/sandbox). It is never written to: `init` copies it. */
  moduleDir: string;
  /**
   * Per-run directory: the copy of the module tofu runs in (`module/`), TF_DATA_DIR, the state
   * file `terraform.tfstate` (the local backend's `path`), the var file, logs of raw JSON lines.
   */
  workDir: string;
  /** Binary to run: tofu or terraform (path or name). */
  binary: string;
  /**
   * Extra environment for the subprocess (AWS endpoint, credentials...), layered over this
   * process's. The adapter adds TF_IN_AUTOMATION=1, CHECKPOINT_DISABLE=1, TF_INPUT=0,
   * TF_DATA_DIR=<workDir>/.terraform, and an empty TF_CLI_CONFIG_FILE when the inherited one points
   * to a missing file.
   */
  env?: NodeJS.ProcessEnv;
  /**
   * A backend the user configures instead of local state in workDir: each entry is passed to
   * `init` as `-backend-config=key=value`. The module must then declare the (partial) backend
   * block; without this option (and without a backend block in the module) the state is
   * `<workDir>/terraform.tfstate`.
   */
  backendConfig?: Record<string, string>;
  onProgress?: (p: TofuProgress) => void;
  onDiagnostic?: (d: TofuDiagnostic) => void;
  /**
   * Called synchronously right after tofu is spawned (before anything is awaited), so the caller
   * can journal the pid of a tofu that outlives this process: tofu runs detached, with its output
   * in `stdoutPath` (removed once the command has finished and its lines are in tofu.log).
   */
  onStart?: (p: TofuStart) => void;
  /**
   * Abort = interrupt: exactly one SIGINT is sent to tofu, which gets `interruptGraceMs`
   * (default 60 s) to finish and release its lock before SIGKILL.
   */
  signal?: AbortSignal;
  interruptGraceMs?: number;
  /** How long tofu waits for the state lock (`-lock-timeout`); default '60s'. */
  lockTimeout?: string;
  /**
   * The second half of the fix of a failed command, e.g. "`bench cleanup r1` removes what was
   * created"; the adapter does not know the run.
   */
  fixHint?: string;
}

/** One root module's lifecycle, each method one tofu subprocess. */
export interface Tofu {
  init(): Promise<void>;
  /** Returns the number of resources with a planned change. */
  plan(variables: Record<string, unknown>, options?: { destroy?: boolean }): Promise<{ changes: number }>;
  apply(variables: Record<string, unknown>): Promise<void>;
  /** Output values; sensitive ones are returned (the caller needs e.g. the CA) but flagged. Never log them. */
  output(): Promise<Record<string, { value: unknown; sensitive: boolean }>>;
  destroy(variables: Record<string, unknown>): Promise<void>;
  /** Addresses of resources in the state (empty array when there is no state). */
  stateResources(): Promise<string[]>;
}

type ProgressCommand = TofuProgress['command'];

/** One line of the `-json` UI; only the fields read here are typed. */
interface UiMessage {
  type?: string;
  '@message'?: string;
  diagnostic?: { severity?: string; summary?: string; detail?: string; address?: string };
  change?: { action?: string; resource?: { addr?: string } };
  changes?: { add?: number; change?: number; remove?: number; operation?: string };
  hook?: { action?: string; resource?: { addr?: string } };
}

interface RunResult {
  exitCode: number | undefined;
  /** stdout lines that were not UI messages (`state list`, `output -json`). */
  stdout: string[];
  stderr: string;
  diagnostics: TofuDiagnostic[];
  /** Resources with a planned change (planned_change messages that are not no-ops). */
  plannedChanges: number;
}

/** How one tofu subprocess ended. */
interface Outcome {
  exitCode: number | undefined;
  signal: string | undefined;
  /** Killed after the interrupt's grace period. */
  forced: boolean;
  /** Why it could not be started at all (ENOENT, EACCES...). */
  startError?: string;
}

const DEFAULT_GRACE_MS = 60_000;
/** How often the stdout file is read while tofu runs (lines arrive at most this late). */
const TAIL_POLL_MS = 50;
const TICK_MS = 1000;
const DEPENDENCY_VIOLATION = /DependencyViolation/;
const STATE_LOCK = /Error acquiring the state lock/i;

/** The module's copy inside a work dir: where tofu runs. */
export const MODULE_COPY = 'module';
/** The generated file in the copy that puts the state under the work dir. */
export const BACKEND_FILE = 'bench_backend.tf.json';

/**
 * The OpenTofu adapter: runs `init / plan / apply / output / destroy` of one root module,
 * keeping everything tofu writes (data dir, state, lock, var file, log) in `workDir`, and streams
 * the `-json` UI into progress callbacks as it arrives.
 *
 * The module is copied into `<workDir>/module` by `init` and run there (`-chdir`), with a
 * generated `backend "local" { path = "<workDir>/terraform.tfstate" }` beside it: the local
 * backend's own setting instead of the deprecated `-state` flag, without writing into the module.
 * The copy also means a later `bench cleanup` destroys with the configuration that was applied.
 *
 * Each tofu runs detached (its own session, stdin closed, stdout and stderr to files in the work
 * dir, not waited for by the event loop), so a bench that is killed leaves it to finish or to stop
 * cleanly and write its state; `onStart` gives the caller its pid to journal, and
 * {@link isTofuAlive} / {@link stateLockHolder} tell later whether it still runs.
 */
export function createTofu(options: TofuRunOptions): Tofu {
  const moduleDir = resolve(options.moduleDir);
  const workDir = resolve(options.workDir);
  const runDir = join(workDir, MODULE_COPY);
  const statePath = join(workDir, 'terraform.tfstate');
  const varFile = join(workDir, 'run.tfvars.json');
  const logPath = join(workDir, 'tofu.log');
  // The state is ours, in workDir, unless the module brings a backend (configured or complete).
  const localState = options.backendConfig === undefined && !declaresBackend(moduleDir);
  const tool = /terraform(\.exe)?$/.test(basename(options.binary)) ? 'terraform' : 'tofu';
  const graceMs = options.interruptGraceMs ?? DEFAULT_GRACE_MS;
  const lockTimeout = `-lock-timeout=${options.lockTimeout ?? '60s'}`;

  /** Copies the module into the work dir (afresh at init, else only when missing) with its backend file. */
  const copyModule = (fresh: boolean) => {
    if (!fresh && existsSync(runDir)) return;
    rmSync(runDir, { recursive: true, force: true });
    // What tofu itself may have left in a module someone also runs by hand is not configuration.
    cpSync(moduleDir, runDir, {
      recursive: true,
      filter: (src) => !/^(\.terraform|terraform\.tfstate.*|\.terraform\.tfstate\.lock\.info)$/.test(basename(src)),
    });
    // A module with a backend of its own keeps it.
    if (localState) {
      // JSON syntax: the path needs no HCL escaping. The lock file goes next to the state.
      writeFileSync(
        join(runDir, BACKEND_FILE),
        `${JSON.stringify({ terraform: { backend: { local: { path: statePath } } } }, null, 2)}\n`,
      );
    }
  };

  const env = childEnv(options.env, workDir);

  const writeVars = (variables: Record<string, unknown>): string => {
    mkdirSync(workDir, { recursive: true });
    // Written whole, then renamed: a tofu that starts meanwhile never reads half a file.
    const tmp = `${varFile}.${process.pid}.tmp`;
    writeFileSync(tmp, `${JSON.stringify(variables, null, 2)}\n`, { mode: 0o600 });
    renameSync(tmp, varFile);
    return `-var-file=${varFile}`;
  };

  const run = async (
    name: string,
    args: string[],
    progressCommand: ProgressCommand | undefined,
    logStdout = true,
  ): Promise<RunResult> => {
    mkdirSync(workDir, { recursive: true });
    if (options.signal?.aborted) throw interrupted(name, { started: false });
    copyModule(name === 'init');

    const log = openSync(logPath, 'a', 0o600);
    const logLine = (line: string) => writeSync(log, `${line}\n`);
    const started = Date.now();
    logLine(
      JSON.stringify({ '@bench': 'start', command: name, args: redactArgs(args), time: new Date().toISOString() }),
    );

    const result: RunResult = { exitCode: undefined, stdout: [], stderr: '', diagnostics: [], plannedChanges: 0 };
    const tracker = progressCommand ? new ProgressTracker(progressCommand, started) : undefined;
    let callbackError: unknown;
    const call = (fn: () => void) => {
      // A throwing callback must not stop the reading of tofu's output (a full pipe would block
      // tofu mid-apply); the first error is raised once tofu has finished.
      try {
        fn();
      } catch (err) {
        callbackError ??= err;
      }
    };
    const emit = () => {
      if (tracker && options.onProgress) {
        const snapshot = tracker.snapshot();
        call(() => options.onProgress?.(snapshot));
      }
    };

    let interruptedAt: number | undefined;
    let ticker: NodeJS.Timeout | undefined;
    let onAbort: (() => void) | undefined;
    let outcome: Outcome;
    // tofu's stdout and stderr go to files of the work dir, never to pipes of ours: a killed bench
    // must not take tofu (and its provisioners) down with it by a broken pipe halfway through an
    // apply. bench follows the stdout file while tofu runs.
    const seq = `${Date.now()}-${process.pid}`;
    const slug = name.replace(/\s+/g, '-');
    const stdoutPath = join(workDir, `${slug}.${seq}.stdout`);
    const stderrPath = join(workDir, `${slug}.${seq}.stderr`);
    const outFd = openSync(stdoutPath, 'a', 0o600);
    const errFd = openSync(stderrPath, 'a', 0o600);
    const readOut = openSync(stdoutPath, 'r');
    const readErr = openSync(stderrPath, 'r');
    try {
      const spawned = spawnDetached(options.binary, [`-chdir=${runDir}`, ...args], env, outFd, errFd);
      // The child has its own copies now.
      closeSync(outFd);
      closeSync(errFd);
      if (!logStdout) {
        // `output -json` holds sensitive values: no file of them outlives this read.
        rmSync(stdoutPath, { force: true });
        rmSync(stderrPath, { force: true });
      }
      const { child } = spawned;
      if (child.pid !== undefined) {
        const pid = child.pid;
        call(() => options.onStart?.({ command: name, pid, stdoutPath }));
      }

      let forceTimer: NodeJS.Timeout | undefined;
      let forced = false;
      onAbort = () => {
        if (interruptedAt !== undefined || spawned.exited) return;
        interruptedAt = Date.now();
        logLine(JSON.stringify({ '@bench': 'interrupt', command: name, signal: 'SIGINT', graceMs }));
        // To tofu's pid only: tofu stops its providers and provisioners itself.
        signalChild(child, 'SIGINT');
        forceTimer = setTimeout(() => {
          if (spawned.exited) return;
          forced = true;
          signalChild(child, 'SIGKILL');
        }, graceMs);
      };
      options.signal?.addEventListener('abort', onAbort, { once: true });
      ticker = tracker && options.onProgress ? setInterval(emit, TICK_MS) : undefined;
      ticker?.unref();
      emit();

      const onLine = (line: string) => {
        const message = parseUiLine(line);
        if (message === undefined) {
          result.stdout.push(line);
          if (logStdout) logLine(JSON.stringify({ '@bench': 'stdout', command: name, line }));
          return;
        }
        if (logStdout) logLine(line);
        if (message.type === 'diagnostic' && message.diagnostic) {
          const diagnostic = { ...toDiagnostic(message.diagnostic), command: name };
          result.diagnostics.push(diagnostic);
          call(() => options.onDiagnostic?.(diagnostic));
        }
        if (message.type === 'planned_change' && message.change?.action !== 'noop') result.plannedChanges += 1;
        if (tracker?.update(message)) emit();
      };
      const tail = new FileTail(readOut, onLine);
      // Read what arrives until tofu exits, then the rest.
      while (!spawned.exited) {
        tail.read();
        await Promise.race([spawned.done, sleep(TAIL_POLL_MS)]);
      }
      tail.read();
      tail.flush();
      if (forceTimer) clearTimeout(forceTimer);
      const exit = await spawned.done;
      outcome = { ...exit, forced };
      result.exitCode = exit.exitCode;
      result.stderr = readAll(readErr);
      for (const line of result.stderr.split('\n').filter((l) => l.trim() !== '')) {
        logLine(JSON.stringify({ '@bench': 'stderr', command: name, line }));
      }
      logLine(
        JSON.stringify({
          '@bench': 'exit',
          command: name,
          exitCode: exit.exitCode ?? null,
          signal: exit.signal ?? null,
          forced,
          seconds: (Date.now() - started) / 1000,
        }),
      );
      // Everything they held is in tofu.log now; they matter only when bench dies mid-command.
      rmSync(stdoutPath, { force: true });
      rmSync(stderrPath, { force: true });
    } finally {
      if (ticker) clearInterval(ticker);
      if (onAbort) options.signal?.removeEventListener('abort', onAbort);
      closeSync(readOut);
      closeSync(readErr);
      closeSync(log);
    }
    emit();

    if (outcome.startError === 'ENOENT' || outcome.startError === 'EACCES') {
      throw new InfrastructureError('E_TOFU_MISSING', `${tool} is not installed or not runnable: ${options.binary}`, {
        fix: 'install OpenTofu (https://opentofu.org/docs/intro/install/) or run `bash test/harness/install.sh tofu`, or set BENCH_TOFU_BIN to its path',
        data: { binary: options.binary, reason: outcome.startError },
      });
    }
    if (interruptedAt !== undefined) {
      throw interrupted(name, {
        started: true,
        exitCode: outcome.exitCode,
        forced: outcome.forced,
        seconds: Math.round((Date.now() - interruptedAt) / 100) / 10,
      });
    }
    if (outcome.exitCode !== 0) throw commandError(name, result, outcome.signal);
    // eslint-disable-next-line @typescript-eslint/only-throw-error -- rethrows what the callback threw, as it was thrown
    if (callbackError !== undefined) throw callbackError;
    return result;
  };

  const interrupted = (
    name: string,
    data: { started: boolean; exitCode?: number | undefined; forced?: boolean; seconds?: number },
  ) =>
    new InterruptedError(`${tool} ${name} interrupted`, {
      ...(data.forced
        ? {
            fix: `${tool} did not stop within ${graceMs / 1000}s and was killed: its state may miss what it created; ${
              options.fixHint ?? 'clean up the run to remove what was created'
            }`,
          }
        : {}),
      data: { command: name, ...data },
    });

  const commandError = (name: string, result: RunResult, signal: string | undefined): InfrastructureError => {
    const errors = result.diagnostics.filter((d) => d.severity === 'error');
    const first = errors[0];
    const reason = first
      ? [first.summary, firstLine(first.detail)].filter((s) => s !== '').join(': ')
      : firstLine(stripTerminal(result.stderr)) ||
        (signal ? `killed by ${signal}` : `exit code ${String(result.exitCode)}`);
    const message = `${tool} ${name} failed: ${reason}`;
    const data = { command: name, diagnostics: result.diagnostics, exitCode: result.exitCode, log: logPath };
    const lock = errors.find((d) => STATE_LOCK.test(d.summary));
    if (lock) {
      const lockId = /^\s*ID:\s*(\S+)/m.exec(lock.detail)?.[1];
      return new InfrastructureError('E_TOFU_LOCKED', message, {
        fix: `another ${tool} run holds the state lock${lockId ? ` ${lockId}` : ''}: let it finish and retry; only when you are sure no run uses this state, \`${tool} force-unlock${lockId ? ` ${lockId}` : ''}\` as a last resort`,
        data: { ...data, lockId },
      });
    }
    const fix = `see ${logPath} for everything ${tool} reported; ${options.fixHint ?? 'cleaning up the run removes what was created'}`;
    if (errors.some((d) => DEPENDENCY_VIOLATION.test(`${d.summary}\n${d.detail}`))) {
      return new InfrastructureError('E_TOFU_DEPENDENCY_VIOLATION', message, {
        fix: `something outside the module (often a load balancer a Kubernetes Service made) still uses a resource; delete it and retry. ${fix}`,
        data,
      });
    }
    return new InfrastructureError('E_TOFU', message, { fix, data });
  };

  const initArgs = (): string[] => {
    const args = ['init', '-json', '-input=false'];
    // A module with providers keeps its dependency lock file in the module directory; read it,
    // never rewrite it (moduleDir is never written to).
    if (existsSync(join(moduleDir, '.terraform.lock.hcl'))) args.push('-lockfile=readonly');
    for (const [key, value] of Object.entries(options.backendConfig ?? {}))
      args.push(`-backend-config=${key}=${value}`);
    return args;
  };

  return {
    async init() {
      await run('init', initArgs(), 'init');
    },

    async plan(variables, planOptions = {}) {
      const args = ['plan', '-json', '-input=false', lockTimeout, writeVars(variables)];
      if (planOptions.destroy) args.push('-destroy');
      const result = await run('plan', args, 'plan');
      return { changes: result.plannedChanges };
    },

    async apply(variables) {
      const args = ['apply', '-json', '-auto-approve', '-input=false', lockTimeout];
      await run('apply', [...args, writeVars(variables)], 'apply');
    },

    async output() {
      // stdout holds the values, sensitive ones included: kept out of the log.
      const result = await run('output', ['output', '-json'], undefined, false);
      const text = result.stdout.join('\n');
      const start = text.indexOf('{');
      const parsed = JSON.parse(start < 0 ? '{}' : text.slice(start)) as Record<
        string,
        { value?: unknown; sensitive?: boolean }
      >;
      return Object.fromEntries(
        Object.entries(parsed).map(([name, o]) => [name, { value: o.value, sensitive: o.sensitive === true }]),
      );
    },

    async destroy(variables) {
      const args = ['destroy', '-json', '-auto-approve', '-input=false', lockTimeout];
      await run('destroy', [...args, writeVars(variables)], 'destroy');
    },

    async stateResources() {
      if (localState && !existsSync(statePath)) return [];
      try {
        const result = await run('state list', ['state', 'list', '-no-color'], undefined);
        return result.stdout.map((l) => l.trim()).filter((l) => l !== '');
      } catch (err) {
        if (err instanceof BenchError && err.code === 'E_TOFU' && /No state file was found/i.test(err.message))
          return [];
        throw err;
      }
    },
  };
}

/** A tofu child started detached: its own session, no pipe to us, not holding our event loop. */
interface Spawned {
  child: ChildProcess;
  /** True once it has exited (or failed to start). */
  readonly exited: boolean;
  done: Promise<Omit<Outcome, 'forced'>>;
}

function spawnDetached(
  binary: string,
  args: string[],
  env: Record<string, string>,
  outFd: number,
  errFd: number,
): Spawned {
  let exited = false;
  // Its own process group and session: a Ctrl-C in the terminal goes to the foreground group
  // only, so tofu hears of it from us alone (once) instead of twice, which would make it exit at
  // once and leave the state unsaved and the lock held; and bench's death is not tofu's.
  const child = spawn(binary, args, { env, detached: true, stdio: ['ignore', outFd, errFd] });
  const done = new Promise<Omit<Outcome, 'forced'>>((resolveDone) => {
    child.once('error', (err: NodeJS.ErrnoException) => {
      // Only a failure to start ends it here; once running, 'exit' does.
      if (child.pid !== undefined) return;
      exited = true;
      resolveDone({ exitCode: undefined, signal: undefined, startError: err.code ?? err.message });
    });
    child.once('exit', (code, signal) => {
      exited = true;
      resolveDone({ exitCode: code ?? undefined, signal: signal ?? undefined });
    });
  });
  // bench may exit (or die) while tofu runs; the polling loop keeps us alive while we wait.
  child.unref();
  return {
    child,
    get exited() {
      return exited;
    },
    done,
  };
}

function signalChild(child: ChildProcess, signal: NodeJS.Signals): void {
  try {
    child.kill(signal);
  } catch {
    // already gone
  }
}

/** Follows a file that grows: new bytes as they arrive, cut into lines. */
class FileTail {
  readonly #fd: number;
  readonly #onLine: (line: string) => void;
  #position = 0;
  #partial = '';
  readonly #buffer = Buffer.alloc(64 * 1024);

  constructor(fd: number, onLine: (line: string) => void) {
    this.#fd = fd;
    this.#onLine = onLine;
  }

  /** Reads everything written so far and hands on each complete line. */
  read(): void {
    for (;;) {
      const n = readSync(this.#fd, this.#buffer, 0, this.#buffer.length, this.#position);
      if (n === 0) return;
      this.#position += n;
      // A UTF-8 character cut at the buffer's end: StringDecoder would be exact, but lines are
      // only split on '\n' (never inside a multi-byte character), so keep the bytes until then.
      this.#partial += this.#buffer.subarray(0, n).toString('latin1');
      const lines = this.#partial.split('\n');
      this.#partial = lines.pop() ?? '';
      for (const line of lines) this.#onLine(Buffer.from(line, 'latin1').toString('utf8'));
    }
  }

  /** The last line, when it had no newline. */
  flush(): void {
    if (this.#partial !== '') this.#onLine(Buffer.from(this.#partial, 'latin1').toString('utf8'));
    this.#partial = '';
  }
}

function readAll(fd: number): string {
  const chunks: Buffer[] = [];
  const buffer = Buffer.alloc(64 * 1024);
  let position = 0;
  for (;;) {
    const n = readSync(fd, buffer, 0, buffer.length, position);
    if (n === 0) break;
    chunks.push(Buffer.from(buffer.subarray(0, n)));
    position += n;
  }
  return Buffer.concat(chunks).toString('utf8');
}

/**
 * Whether a recorded tofu pid is still that tofu: the process is alive (not a zombie) and its
 * command line is the recorded binary's (pids get reused), and, when given, runs in the recorded
 * work dir (`-chdir=<workDir>/module`).
 */
export function isTofuAlive(pid: number, binary: string, workDir?: string): boolean {
  if (!Number.isInteger(pid) || pid <= 0 || !isAlive(pid)) return false;
  const argv = commandLine(pid);
  if (argv === undefined) return false;
  // A script (e.g. a wrapper) runs as `<interpreter> <script> ...`: any argument may be it.
  const wanted = binary.includes('/') ? resolve(binary) : binary;
  const isBinary = (a: string) =>
    a === binary || (binary.includes('/') ? resolve(a) === wanted : basename(a) === binary);
  if (!argv.some(isBinary)) return false;
  return workDir === undefined || argv.includes(`-chdir=${join(resolve(workDir), MODULE_COPY)}`);
}

/** {@link isTofuAlive} of a tofu subprocess as the run's journal recorded it. */
export function isRecordedTofuAlive(t: { pid: number; binary: string; workDir?: string | undefined }): boolean {
  return isTofuAlive(t.pid, t.binary, t.workDir);
}

/** A process's arguments: /proc on Linux, `ps` elsewhere; undefined when it cannot be read. */
function commandLine(pid: number): string[] | undefined {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8')
      .split('\0')
      .filter((a) => a !== '');
  } catch {
    if (process.platform === 'linux') return undefined;
    const ps = spawnSync('ps', ['-p', String(pid), '-o', 'args='], { encoding: 'utf8' });
    return ps.status === 0 && ps.stdout.trim() !== '' ? ps.stdout.trim().split(/\s+/) : undefined;
  }
}

/** The state file and lock info of a work dir's local backend (see createTofu). */
export function tofuStatePaths(workDir: string): { state: string; lockInfo: string } {
  const state = join(resolve(workDir), 'terraform.tfstate');
  // The local backend writes `.<state file name>.lock.info` next to the state.
  return { state, lockInfo: join(dirname(state), `.${basename(state)}.lock.info`) };
}

/**
 * The pid holding the local backend's lock on a work dir's state, if any. tofu locks the state
 * file itself with a POSIX (fcntl) lock and writes `.terraform.tfstate.lock.info` beside it; the
 * info file outlives a killed tofu, the fcntl lock does not, so the kernel's lock table
 * (/proc/locks) is what says whether a live process holds it. Undefined when nobody does, or
 * where /proc/locks does not exist.
 */
export function stateLockHolder(workDir: string): number | undefined {
  const { state } = tofuStatePaths(workDir);
  let inode: number;
  let dev: number;
  let locks: string;
  try {
    const st = statSync(state);
    inode = st.ino;
    dev = st.dev;
    locks = readFileSync('/proc/locks', 'utf8');
  } catch {
    return undefined;
  }
  // glibc's encoding of dev_t: major in bits 8-19 (and 32-43), minor in 0-7 and 20-31.
  const major = ((dev >> 8) & 0xfff) | (Math.floor(dev / 2 ** 32) & ~0xfff);
  const minor = (dev & 0xff) | ((dev >> 12) & ~0xff);
  for (const line of locks.split('\n')) {
    // "1: POSIX  ADVISORY  WRITE 12345 08:01:1234567 0 EOF" ("->" marks a waiter).
    const m = /^\d+:\s+(?:->\s+)?(POSIX|OFDLCK|FLOCK)\s+\S+\s+\S+\s+(-?\d+)\s+([0-9a-f]+):([0-9a-f]+):(\d+)\s/.exec(
      line,
    );
    if (!m || line.includes('->')) continue;
    if (Number(m[5]) !== inode || parseInt(m[3]!, 16) !== major || parseInt(m[4]!, 16) !== minor) continue;
    const pid = Number(m[2]);
    if (pid > 0 && isAlive(pid)) return pid;
  }
  return undefined;
}

/** Classifies an error as the transient kind teardown retries (AWS DependencyViolation). */
export function isDependencyViolation(err: unknown): boolean {
  if (err instanceof BenchError) return err.code === 'E_TOFU_DEPENDENCY_VIOLATION';
  // An AWS SDK error of the same kind (its name is the AWS error code).
  return err instanceof Error && err.name === 'DependencyViolation';
}

/** Follows the `-json` UI: what is planned, what is done, what is being worked on. */
class ProgressTracker {
  readonly #command: ProgressCommand;
  readonly #started: number;
  #total: number | undefined;
  #done = 0;
  #message: string | undefined;
  /** Resources started and not yet finished, in start order. */
  readonly #inFlight: string[] = [];

  constructor(command: ProgressCommand, started: number) {
    this.#command = command;
    this.#started = started;
  }

  /** Takes one UI message in; true when the progress changed. */
  update(m: UiMessage): boolean {
    const text = m['@message']?.replace(/\s+/g, ' ').trim();
    switch (m.type) {
      case 'version':
      case 'outputs':
      case 'diagnostic':
        // Not progress: the version banner, "Outputs: 7", and errors (reported on their own).
        return false;
      case 'change_summary':
        // The plan's summary comes before the first apply_start; a replacement is one add and one
        // remove, and so two apply_complete messages.
        if (m.changes?.operation === 'plan') {
          this.#total = (m.changes.add ?? 0) + (m.changes.change ?? 0) + (m.changes.remove ?? 0);
        }
        break;
      case 'apply_start': {
        const addr = m.hook?.resource?.addr;
        if (addr) this.#inFlight.push(addr);
        break;
      }
      case 'apply_complete':
      case 'apply_errored': {
        const addr = m.hook?.resource?.addr;
        const index = addr === undefined ? -1 : this.#inFlight.lastIndexOf(addr);
        if (index >= 0) this.#inFlight.splice(index, 1);
        // Data sources read during apply are not among the planned changes.
        if (m.hook?.action !== 'read') {
          this.#done += 1;
          if (this.#total !== undefined && this.#done > this.#total) this.#total = this.#done;
        }
        break;
      }
      default:
        break;
    }
    if (text) this.#message = text;
    return true;
  }

  snapshot(): TofuProgress {
    return {
      command: this.#command,
      total: this.#total,
      done: this.#done,
      current: this.#inFlight.at(-1),
      elapsedSeconds: Math.round((Date.now() - this.#started) / 100) / 10,
      message: this.#message,
    };
  }
}

/** Whether a module's own files declare a backend (then it keeps it). */
function declaresBackend(dir: string): boolean {
  if (!existsSync(dir)) return false;
  return readdirSync(dir)
    .filter((f) => f.endsWith('.tf') || f.endsWith('.tf.json'))
    .some((f) => {
      const text = readFileSync(join(dir, f), 'utf8');
      return f.endsWith('.json') ? /"backend"\s*:/.test(text) : /^\s*backend\s+"/m.test(text);
    });
}

/** The environment tofu runs in: the caller's, plus what running unattended needs. */
function childEnv(extra: NodeJS.ProcessEnv | undefined, workDir: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries({ ...process.env, ...extra })) {
    if (value !== undefined) env[key] = value;
  }
  env.TF_IN_AUTOMATION = '1';
  env.CHECKPOINT_DISABLE = '1';
  env.TF_INPUT = '0';
  env.TF_DATA_DIR = join(workDir, '.terraform');
  // A TF_CLI_CONFIG_FILE naming a missing file makes tofu print a warning before its JSON.
  if (env.TF_CLI_CONFIG_FILE && !existsSync(env.TF_CLI_CONFIG_FILE)) env.TF_CLI_CONFIG_FILE = '';
  return env;
}

function parseUiLine(line: string): UiMessage | undefined {
  if (!line.startsWith('{')) return undefined;
  try {
    const parsed = JSON.parse(line) as unknown;
    // The UI stream's lines all carry @message; `output -json` is one multi-line object instead.
    return typeof parsed === 'object' && parsed !== null && '@message' in parsed ? (parsed as UiMessage) : undefined;
  } catch {
    return undefined;
  }
}

function toDiagnostic(d: NonNullable<UiMessage['diagnostic']>): TofuDiagnostic {
  return {
    severity: d.severity === 'warning' ? 'warning' : 'error',
    summary: d.summary ?? '',
    detail: d.detail ?? '',
    ...(d.address ? { address: d.address } : {}),
  };
}

/** Backend settings may hold credentials: the log keeps their names only. */
function redactArgs(args: string[]): string[] {
  return args.map((a) => a.replace(/^(-backend-config=[^=]+=).*$/s, '$1***'));
}

function firstLine(text: string): string {
  return (
    text
      .split('\n')
      .map((l) => l.trim())
      .find((l) => l !== '') ?? ''
  );
}

/** tofu's human error output, without colours and the box it draws around diagnostics. */
function stripTerminal(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/\u001b\[[0-9;]*m/g, '').replace(/^[\s│╷╵]+/gm, '');
}
