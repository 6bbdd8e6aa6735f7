import { isRecordedTofuAlive, stateLockHolder } from '../adapters/tofu.ts';
import { InfrastructureError, InterruptedError } from '../errors.ts';
import type { JournalRecord } from '../run/journal.ts';
import { liveTofus, type RecordedTofu } from '../run/run-dir.ts';
import { sleep } from '../util/sleep.ts';

/** What {@link waitForRunTofu} is waiting for, reported at each poll. */
export interface TofuWait {
  /** The live recorded tofu, when there is one. */
  tofu?: { pid: number; command: string };
  /** The pid holding the state's lock, when a live process does. */
  lockHolder?: number;
  waitedMs: number;
}

export interface WaitForTofuOptions {
  /** How long to wait at most (default 30 min: an EKS apply takes 15). */
  deadlineMs?: number;
  /** Poll interval (default 1 s). */
  pollMs?: number;
  signal?: AbortSignal;
  /** Called at the first poll that finds something to wait for, then at each poll while waiting. */
  onWait?: (w: TofuWait) => void;
  /** For tests: whether a recorded tofu still runs, and who holds the state lock. */
  isTofuLive?: (t: RecordedTofu) => boolean;
  lockHolder?: (workDir: string) => number | undefined;
}

/** What the wait found: how long it waited and for what (nothing: `waitedFor` undefined). */
export interface TofuWaitResult {
  waitedMs: number;
  waitedFor?: { pid: number; command: string } | { lockHolder: number };
}

/**
 * Waits until no tofu of the run is at work: neither the run's last recorded tofu subprocess
 * (tofu runs detached and outlives a killed bench, finishing or stopping cleanly and writing its
 * state) nor any live process holding the state lock of the run's work dir. Acting before that
 * would destroy with a state that misses what the running apply is creating.
 *
 * @param records the run's journal
 * @param workDir the run's OpenTofu work dir (holds `terraform.tfstate`), when it has one
 * @throws InfrastructureError (E_TOFU_STILL_RUNNING) at the deadline; InterruptedError on abort
 */
export async function waitForRunTofu(
  records: readonly JournalRecord[],
  workDir: string | undefined,
  options: WaitForTofuOptions = {},
): Promise<TofuWaitResult> {
  const deadlineMs = options.deadlineMs ?? 1_800_000;
  const pollMs = options.pollMs ?? 1000;
  const holderOf = options.lockHolder ?? stateLockHolder;
  const started = Date.now();
  let waitedFor: TofuWaitResult['waitedFor'];
  for (;;) {
    if (options.signal?.aborted) {
      throw new InterruptedError("interrupted while waiting for the run's tofu to finish", {
        data: { waitedFor },
      });
    }
    const tofu = liveTofus(records, options.isTofuLive ?? isRecordedTofuAlive).at(-1);
    const lockHolder = workDir ? holderOf(workDir) : undefined;
    const waitedMs = Date.now() - started;
    if (!tofu && lockHolder === undefined) return waitedFor ? { waitedMs, waitedFor } : { waitedMs };
    waitedFor ??= tofu ? { pid: tofu.pid, command: tofu.command } : { lockHolder: lockHolder as number };
    options.onWait?.({
      ...(tofu ? { tofu: { pid: tofu.pid, command: tofu.command } } : {}),
      ...(lockHolder === undefined ? {} : { lockHolder }),
      waitedMs,
    });
    if (waitedMs >= deadlineMs) {
      const who = tofu
        ? `tofu ${tofu.command} (pid ${tofu.pid})`
        : `process ${lockHolder} holding the state lock of ${workDir}`;
      throw new InfrastructureError(
        'E_TOFU_STILL_RUNNING',
        `${who} is still running after ${Math.round(deadlineMs / 1000)}s`,
        {
          fix: `let it finish (its output is in ${tofu?.stdout ?? `${workDir}/tofu.log`}) and run the cleanup again; to stop it, \`kill -INT ${tofu?.pid ?? lockHolder}\` once (tofu stops cleanly and writes its state), then clean up`,
          data: { pid: tofu?.pid ?? lockHolder, command: tofu?.command, workDir, deadlineMs },
        },
      );
    }
    // An abort only ends the pause: the loop's top says what was being waited for.
    await sleep(Math.min(pollMs, Math.max(0, deadlineMs - waitedMs)), options.signal).catch(() => undefined);
  }
}
