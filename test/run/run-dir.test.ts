import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { hostname } from 'node:os';
import { UsageError } from '../../src/errors.ts';
import { isRecordedTofuAlive } from '../../src/adapters/tofu.ts';
import { Journal } from '../../src/run/journal.ts';
import { createRunDir, isRunId, JOURNAL_FILE, listRuns, newRunId, resolveRunsRoot } from '../../src/run/run-dir.ts';
import { tempDir } from '../helpers/tmp.ts';

describe('run ids', () => {
  it('are usable as tag values and cluster-name parts', () => {
    const id = newRunId('Thyme', new Date('2026-11-21T04:05:06Z'));
    assert.match(id, /^thyme-20261121-040506-[0-9a-f]{4}$/);
    assert.ok(isRunId(id));
    assert.notEqual(newRunId('thyme'), newRunId('thyme'));
    assert.ok(!isRunId('../etc'));
  });

  it('live under --runs-dir, then BENCH_RUNS_DIR, then .bench/runs', () => {
    assert.equal(resolveRunsRoot('/a', { BENCH_RUNS_DIR: '/b' }), '/a');
    assert.equal(resolveRunsRoot(undefined, { BENCH_RUNS_DIR: '/b' }), '/b');
    assert.ok(resolveRunsRoot(undefined, {}).endsWith('.bench/runs'));
  });
});

describe('listRuns', () => {
  it('derives status, duration and alive resources from each journal', () => {
    const root = tempDir();
    const done = Journal.open(join(createRunDir(root, 'thyme-a'), JOURNAL_FILE));
    done.append({
      type: 'run-start',
      runId: 'thyme-a',
      suite: 'thyme',
      target: 'sandbox',
      pid: process.pid,
      host: hostname(),
    });
    done.append({ type: 'resource-created', resource: { kind: 'tofu-state', id: 's' } });
    done.append({ type: 'resource-deleted', resource: { kind: 'tofu-state', id: 's' } });
    done.append({ type: 'run-end', status: 'succeeded', exitCode: 0 });
    done.close();

    // A run whose process is gone without a run-end record crashed, and still owns what it made.
    const crashed = Journal.open(join(createRunDir(root, 'koorde-b'), JOURNAL_FILE));
    crashed.append({
      type: 'run-start',
      runId: 'koorde-b',
      suite: 'koorde',
      target: 'aws',
      pid: 2 ** 22 + 12345,
      host: hostname(),
    });
    crashed.append({ type: 'resource-created', resource: { kind: 'elbv2-load-balancer', id: 'arn:aws:x' } });
    crashed.close();

    const running = Journal.open(join(createRunDir(root, 'thyme-c'), JOURNAL_FILE));
    running.append({
      type: 'run-start',
      runId: 'thyme-c',
      suite: 'thyme',
      target: 'kube',
      pid: process.pid,
      host: hostname(),
    });
    running.close();

    const runs = Object.fromEntries(listRuns(root, isRecordedTofuAlive).map((r) => [r.runId, r]));
    assert.equal(runs['thyme-a']?.status, 'succeeded');
    assert.deepEqual(runs['thyme-a']?.aliveResources, []);
    assert.equal(runs['koorde-b']?.status, 'crashed');
    assert.deepEqual(runs['koorde-b']?.aliveResources, [{ kind: 'elbv2-load-balancer', id: 'arn:aws:x' }]);
    assert.equal(runs['thyme-c']?.status, 'running');
    assert.equal(runs['thyme-c']?.target, 'kube');
  });

  it('treats a missing runs directory as no runs', () => {
    assert.deepEqual(listRuns(join(tempDir(), 'nope'), isRecordedTofuAlive), []);
  });
});

describe('a runs root that cannot hold runs', () => {
  it('is refused as bad usage, naming the path and the fix', () => {
    const root = tempDir();
    const file = join(root, 'a-file');
    writeFileSync(file, 'not a directory');
    const refused = (flag: string, write = false) => {
      try {
        resolveRunsRoot(flag, {}, { write });
      } catch (err) {
        assert.ok(err instanceof UsageError, String(err));
        assert.equal(err.code, 'E_RUNS_DIR');
        assert.match(err.fix ?? '', /--runs-dir/);
        return err.message;
      }
      return assert.fail(`${flag} was accepted`);
    };
    assert.match(refused(file), /a-file: is a file, not a directory/);
    assert.match(refused(join(file, 'runs'), true), /which is a file/);
    assert.match(refused('/proc/bench/runs', true), /\/proc is a kernel file system/);
    assert.match(refused('/proc'), /\/proc is a kernel file system/);
    assert.match(refused('/sys/runs'), /\/sys is a kernel file system/);
    // A directory that does not exist yet, under one that does, is fine.
    assert.equal(resolveRunsRoot(join(root, 'new', 'runs'), {}, { write: true }), join(root, 'new', 'runs'));
  });

  it('createRunDir refuses a file instead of crashing with ENOTDIR', () => {
    const file = join(tempDir(), 'f');
    writeFileSync(file, '');
    assert.throws(() => createRunDir(file, 'thyme-a'), UsageError);
  });
});
