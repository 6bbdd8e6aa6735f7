import { BenchError, InterruptedError, toBenchError } from '../../errors.ts';
import type { TeardownResult } from '../../phases/teardown.ts';
import type { RunContext } from './context.ts';
import { tearDownRun, type Infrastructure } from './infrastructure.ts';

/** The run-end status that goes with an exit code: succeeded only with 0. */
export function statusForExit(exitCode: number): 'succeeded' | 'failed' | 'interrupted' {
  if (exitCode === 0) return 'succeeded';
  return exitCode === 130 ? 'interrupted' : 'failed';
}

/** What {@link finishRun} reads and fills in of a run's (or a comparison's) result. */
export interface FinishableResult {
  status: 'succeeded' | 'failed' | 'interrupted';
  teardown: TeardownResult | undefined;
  cleanupCommand: string | undefined;
  error: { code: string; message: string } | undefined;
}

/**
 * The end of every run: the failure (if any) journaled, then teardown in the load-balancer-safe
 * order (or, with --keep, the cleanup command), the run-end record, and the error to exit with:
 * a teardown that left resources wins over the failure before it, which its message names.
 */
export async function finishRun<R extends FinishableResult>(
  ctx: RunContext,
  infra: Partial<Infrastructure>,
  result: R,
  failure: unknown,
  options: {
    /** Writes the report again once the run-end record is written (its errors are the run's already). */
    rewriteReport?: () => Promise<unknown>;
    /** What tears the run down (default {@link tearDownRun}; unit tests hand in a fake). */
    tearDown?: (ctx: RunContext, infra: Partial<Infrastructure>) => Promise<TeardownResult>;
  } = {},
): Promise<R> {
  if (failure) {
    result.error = { code: (failure as BenchError).code ?? 'E_INTERNAL', message: (failure as Error).message };
    ctx.journal.append({ type: 'error', phase: 'run', code: result.error.code, message: result.error.message });
  }
  let teardownError: unknown;
  if (ctx.record.keep) {
    result.cleanupCommand = ctx.cleanupCommand;
    ctx.journal.append({
      type: 'note',
      phase: 'teardown',
      message: 'kept (--keep)',
      data: { cleanupCommand: result.cleanupCommand },
    });
    ctx.events.emit(
      'warn',
      'teardown',
      'teardown.kept',
      `everything is left running (--keep); remove it later with: ${result.cleanupCommand}`,
    );
  } else {
    try {
      // Not the run's signal: one Ctrl-C stops the phases and must still let teardown finish.
      result.teardown = await (options.tearDown ?? tearDownRun)(ctx, infra);
    } catch (err) {
      teardownError = err;
      result.cleanupCommand = ctx.cleanupCommand;
    }
  }
  // With --keep the run's objects stay, and with them its lease, until `bench cleanup` (teardown
  // settles it otherwise).
  if (infra.lease && ctx.record.keep) await infra.lease.keep();
  // A Ctrl-C during collect, report or teardown stops nothing that must finish (teardown runs
  // whatever happens), but the run was interrupted all the same: exit 130, status interrupted.
  // It wins over what failed around it (a gate of the partial data, say), which it names; it is
  // asked only now because a signal during teardown counts too.
  if (ctx.signal?.aborted && !(failure instanceof InterruptedError)) {
    const other = failure ? ` (it had also failed: ${(failure as Error).message.split('\n')[0]})` : '';
    const interrupted = new InterruptedError(`run ${ctx.runId} interrupted; what it measured is kept${other}`, {
      cause: failure,
    });
    failure = interrupted;
    result.error = { code: interrupted.code, message: interrupted.message };
    ctx.journal.append({ type: 'error', phase: 'run', code: interrupted.code, message: interrupted.message });
  }
  const final = teardownError ?? failure;
  const exitCode = final ? toBenchError(final).exitCode : 0;
  result.status = statusForExit(exitCode);
  ctx.journal.append({ type: 'run-end', status: result.status, exitCode });
  if (options.rewriteReport) {
    try {
      await options.rewriteReport();
    } catch (err) {
      // A failed gate or missing data is already the run's error; anything else is only a warning:
      // the report written before teardown is still there.
      const e = toBenchError(err);
      if (e.kind !== 'gate' && e.code !== 'E_METRICS_MISSING')
        ctx.events.emit('warn', 'report', 'report.rewrite', `the final report could not be written: ${e.message}`);
    }
  }
  ctx.journal.close();
  if (teardownError) {
    const e = toBenchError(teardownError);
    const before = failure ? ` (the run had failed before: ${(failure as Error).message.split('\n')[0]})` : '';
    throw new BenchError(e.kind, e.code, `${e.message}${before}`, {
      // Teardown names the whole cleanup command; an adapter's error (AWS down, say) does not.
      fix: e.fix?.includes(ctx.cleanupCommand)
        ? e.fix
        : `${e.fix ? `${e.fix}; then ` : ''}run \`${ctx.cleanupCommand}\``,
      data: { ...e.data, result },
    });
  }
  if (failure) {
    const e = toBenchError(failure);
    throw new BenchError(e.kind, e.code, e.message, { fix: e.fix, data: { ...e.data, result } });
  }
  return result;
}
