import { Command, Flags } from '@oclif/core';
import { BenchError, ExitCode, toBenchError } from '../errors.ts';

/**
 * Base of every command: `--json`, and one place that turns any error into the message,
 * the fix and the exit code of DESIGN.md.
 */
export abstract class BenchCommand extends Command {
  static override enableJsonFlag = true;

  override async catch(err: Error & { oclif?: { exit?: number } }): Promise<void> {
    // oclif's own parse errors (unknown flag, missing argument, bad option value) are bad usage.
    const error: BenchError =
      err.oclif !== undefined && !(err instanceof BenchError)
        ? new BenchError('usage', 'E_USAGE', err.message.split('\n')[0] ?? err.message, {
            fix: `see \`${this.config.bin} ${this.id ?? ''} --help\``.replace(/ +--help/, ' --help'),
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
    if (error.exitCode === ExitCode.internal && process.env.DEBUG) this.logToStderr(String(err.stack));
  }
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
