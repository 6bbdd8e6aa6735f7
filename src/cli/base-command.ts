import { resolve } from 'node:path';
import { Command, Flags, type Interfaces } from '@oclif/core';

type Parsed = Record<string, unknown>;
import { BenchError, ExitCode, toBenchError } from '../errors.ts';
import { formatRunFigures } from '../ui/format.ts';

/**
 * Base of every command: `--json`, and one place that turns any error into the message,
 * the fix and the exit code of DESIGN.md.
 */
export abstract class BenchCommand extends Command {
  static override enableJsonFlag = true;

  /**
   * Parses as oclif does; then `--sandbox-dir` (src/cli/sandbox-flag.ts) becomes BENCH_SANDBOX_DIR
   * for the rest of the process, so every engine and adapter finds the same local cloud.
   */
  protected override async parse<F extends Parsed, B extends Parsed, A extends Parsed>(
    options?: Interfaces.Input<F, B, A>,
    argv?: string[],
  ): Promise<Interfaces.ParserOutput<F, B, A>> {
    const parsed = await super.parse(options, argv);
    const dir = (parsed.flags as Record<string, unknown>)['sandbox-dir'];
    if (typeof dir === 'string' && dir !== '') process.env.BENCH_SANDBOX_DIR = resolve(dir);
    return parsed;
  }

  override async catch(err: Error & { oclif?: { exit?: number } }): Promise<void> {
    // oclif's own parse errors (unknown flag, missing argument, bad option value) are bad usage.
    const error: BenchError =
      err.oclif !== undefined && !(err instanceof BenchError)
        ? new BenchError('usage', 'E_USAGE', wholeParseMessage(err.message), {
            fix: `see \`${[this.config.bin, ...(this.id ?? '').split(':'), '--help'].filter(Boolean).join(' ')}\``,
          })
        : toBenchError(err);
    if (error.kind === 'usage' && err.oclif?.exit === 0) return;
    process.exitCode = error.exitCode;
    if (this.jsonEnabled()) {
      this.logJson({ error: error.toJSON() });
      return;
    }
    this.logToStderr(`Error: ${error.message}`);
    if (error.fix) this.logToStderr(`  fix: ${error.fix}`);
    // A run or report that failed after writing its report still says where it is.
    const files = (error.data?.files ?? (error.data?.result as { report?: unknown } | undefined)?.report) as
      { md?: string } | undefined;
    if (files?.md) this.logToStderr(`  report: ${files.md}`);
    // A run that failed a gate still says what it measured: every gate and headline figure.
    const figures = error.data?.result as Parameters<typeof formatRunFigures>[0] | undefined;
    if (figures?.gates && figures.headlines) this.logToStderr(formatRunFigures(figures).join('\n'));
    if (error.exitCode === ExitCode.internal && process.env.DEBUG) this.logToStderr(String(err.stack));
  }
}

/**
 * oclif's parse errors span lines (`Missing 1 required arg:` then the argument and its
 * description; `Parsing --nodes ` then `Expected an integer but received: abc`): all of them
 * are the message. Only its closing "See more help with --help" goes: the fix says it, naming
 * the command.
 */
export function wholeParseMessage(message: string): string {
  const lines = message
    .split('\n')
    .map((line) => line.trimEnd())
    .filter((line) => line !== '' && !/^See more help with --help$/.test(line.trim()));
  // Continuation lines are indented under `Error:`, as the fix is.
  return lines.map((line, i) => (i === 0 ? line : `  ${line.trim()}`)).join('\n') || message;
}

/** Flags shared by the commands that take a target. */
export const targetFlag = Flags.string({
  char: 't',
  summary: 'Where to run: aws (EKS via OpenTofu), sandbox (the local cloud) or kube (an existing cluster).',
  options: ['aws', 'sandbox', 'kube'],
  default: 'aws',
});

/** Parses repeated `name=value` flags into an object; a missing `=` is a usage error. */
export function parseAssignments(values: string[] | undefined, flag: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const value of values ?? []) {
    const eq = value.indexOf('=');
    if (eq <= 0) {
      throw new BenchError('usage', 'E_USAGE', `--${flag} ${value}: expected name=value`, {
        fix: `write --${flag} name=value`,
      });
    }
    out[value.slice(0, eq)] = value.slice(eq + 1);
  }
  return out;
}
