import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { ROOT, runCli } from '../helpers/cli.ts';
import { tempDir } from '../helpers/tmp.ts';

/** A bad --runs-dir is bad usage: exit 2, the path, the fix, within a second, nothing created. */
function assertRefused(r: { status: number | null; stderr: string }, ms: number, what: RegExp): void {
  assert.equal(r.status, 2, r.stderr);
  assert.match(r.stderr, what);
  assert.match(r.stderr, /fix: give --runs-dir \(or BENCH_RUNS_DIR\) a/);
  assert.doesNotMatch(r.stderr, /internal error/);
  // Node's own start and oclif's load take most of it; the check itself is immediate.
  assert.ok(ms < 5000, `took ${ms} ms`);
}

describe('--runs-dir that cannot hold runs', () => {
  // No local cloud is up in this directory, so a run that got past the check would exit 3.
  const env = { BENCH_SANDBOX_DIR: join(tempDir(), 'no-sandbox') };

  it('a file: exit 2 for run, compare, list, report and cleanup (was: internal error, exit 1)', () => {
    const file = join(tempDir(), 'runs');
    writeFileSync(file, 'a file');
    const commands = [
      ['run', 'thyme', '--target', 'sandbox'],
      ['compare', 'koorde', 'chord', 'koorde', '--target', 'sandbox'],
      ['list'],
      ['report', 'thyme-20261121-101500-ab12'],
      ['cleanup', 'thyme-20261121-101500-ab12'],
    ];
    for (const args of commands) {
      const started = Date.now();
      const r = runCli('bench', [...args, '--runs-dir', file], { env });
      assertRefused(r, Date.now() - started, /--runs-dir .*runs: is a file, not a directory/);
    }
  });

  it('under /proc or /sys: exit 2 at once (was: a hang at 100% CPU in mkdir)', () => {
    for (const dir of ['/proc/bench/runs', '/sys/bench-runs']) {
      const started = Date.now();
      const r = runCli('bench', ['run', 'thyme', '--target', 'sandbox', '--runs-dir', dir], { env, timeoutMs: 20_000 });
      assertRefused(r, Date.now() - started, /is a kernel file system, not storage/);
    }
  });

  it('in a directory this user cannot write: exit 2 before the run looks for its target', () => {
    const base = tempDir();
    chmodSync(base, 0o755);
    const readOnly = join(base, 'read-only');
    mkdirSync(readOnly);
    chmodSync(readOnly, 0o555);
    const started = Date.now();
    const r = spawnSync(
      process.execPath,
      [join(ROOT, 'test/helpers/unprivileged.mjs'), join(ROOT, 'bin/bench'), 'run', 'thyme', '--target', 'sandbox'],
      {
        cwd: base,
        env: { ...process.env, ...env, NO_COLOR: '1', HOME: base, BENCH_RUNS_DIR: join(readOnly, 'runs') },
        encoding: 'utf8',
        timeout: 60_000,
      },
    );
    assertRefused(r, Date.now() - started, /BENCH_RUNS_DIR .*runs: cannot be created: .*read-only is not writable/);
    assert.deepEqual(readdirSync(readOnly), [], 'nothing was created');
  });
});
