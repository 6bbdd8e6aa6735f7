import type { CodeOf, ErrorCode, ErrorKind } from './errors/codes.ts';

/**
 * One error hierarchy for the whole tool. Every error carries a stable code (registered in
 * src/errors/codes.ts), a message that names the problem, an optional fix, and the process exit
 * code it maps to (DESIGN.md, Exit codes).
 */

export type { CodeOf, ErrorCode, ErrorKind } from './errors/codes.ts';

/** Exit codes, shared by every command and documented in the README. */
export const ExitCode = {
  ok: 0,
  internal: 1,
  usage: 2,
  infrastructure: 3,
  gate: 4,
  teardownLeftovers: 5,
  interrupted: 130,
} as const;

export type ExitCodeValue = (typeof ExitCode)[keyof typeof ExitCode];

/** The exit code of each kind of error. */
export const exitCodeOf: Readonly<Record<ErrorKind, ExitCodeValue>> = {
  usage: ExitCode.usage,
  infrastructure: ExitCode.infrastructure,
  gate: ExitCode.gate,
  teardown: ExitCode.teardownLeftovers,
  interrupted: ExitCode.interrupted,
  internal: ExitCode.internal,
};

export interface BenchErrorOptions {
  /** What the user can do about it, in one sentence. */
  fix?: string;
  /** Structured detail for `--json` and the journal; never holds a secret. */
  data?: Record<string, unknown>;
  cause?: unknown;
}

/** Base of every error the tool raises on purpose; a kind's class narrows the codes it takes. */
export class BenchError<C extends ErrorCode = ErrorCode> extends Error {
  readonly code: C;
  readonly kind: ErrorKind;
  readonly fix: string | undefined;
  readonly data: Record<string, unknown> | undefined;

  constructor(kind: ErrorKind, code: C, message: string, options: BenchErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.kind = kind;
    this.code = code;
    this.fix = options.fix;
    this.data = options.data;
  }

  get exitCode(): ExitCodeValue {
    return exitCodeOf[this.kind];
  }

  /** The shape `--json` prints for a failed command. */
  toJSON(): { code: C; kind: ErrorKind; message: string; fix?: string; data?: Record<string, unknown> } {
    return {
      code: this.code,
      kind: this.kind,
      message: this.message,
      ...(this.fix === undefined ? {} : { fix: this.fix }),
      ...(this.data === undefined ? {} : { data: this.data }),
    };
  }
}

/** Bad flags, arguments or input files: exit 2, and nothing was created. */
export class UsageError extends BenchError<CodeOf<'usage'>> {
  constructor(code: CodeOf<'usage'>, message: string, options: BenchErrorOptions = {}) {
    super('usage', code, message, options);
  }
}

/** A suite that does not load or validate: a usage error that names file, field and fix. */
export class SuiteError extends UsageError {}

/** The cloud, the cluster or a tool on the machine failed: exit 3. */
export class InfrastructureError extends BenchError<CodeOf<'infrastructure'>> {
  constructor(code: CodeOf<'infrastructure'>, message: string, options: BenchErrorOptions = {}) {
    super('infrastructure', code, message, options);
  }
}

/** A benchmark gate (SLO) did not hold: exit 4. */
export class GateError extends BenchError<CodeOf<'gate'>> {
  constructor(code: CodeOf<'gate'>, message: string, options: BenchErrorOptions = {}) {
    super('gate', code, message, options);
  }
}

/** Teardown finished but resources are left (listed in data): exit 5. */
export class TeardownError extends BenchError<CodeOf<'teardown'>> {
  constructor(code: CodeOf<'teardown'>, message: string, options: BenchErrorOptions = {}) {
    super('teardown', code, message, options);
  }
}

/** The user interrupted the run; teardown has run: exit 130. */
export class InterruptedError extends BenchError<CodeOf<'interrupted'>> {
  constructor(message = 'interrupted', options: BenchErrorOptions = {}) {
    super('interrupted', 'E_INTERRUPTED', message, options);
  }
}

/**
 * Whether something thrown is one of ours. `instanceof` alone narrows to `BenchError<any>` (the
 * class is generic), which the type-aware lint rightly refuses to pass on as a typed error.
 */
export function isBenchError(err: unknown): err is BenchError {
  return err instanceof BenchError;
}

/** Turns anything thrown into a BenchError; what we did not expect is a bug (exit 1). */
export function toBenchError(err: unknown): BenchError {
  if (isBenchError(err)) return err;
  const message = err instanceof Error ? err.message : String(err);
  return new BenchError('internal', 'E_INTERNAL', `internal error: ${message}`, {
    fix: 'this is a bug in bench; please report it with the run journal attached',
    cause: err,
  });
}
