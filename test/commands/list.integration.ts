import assert from 'node:assert/strict';
import { appendFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import type { ListResult } from '../../src/engine/list.ts';
import { Journal } from '../../src/run/journal.ts';
import { createRunDir, JOURNAL_FILE } from '../../src/run/run-dir.ts';
import { runCli } from '../helpers/cli.ts';
import { tempDir } from '../helpers/tmp.ts';

describe('bench list', () => {
  it('shows each run with its status and what is still alive, even after a crash mid-record', () => {
    const root = tempDir();
    const path = join(createRunDir(root, 'thyme-20261121-000000-abcd'), JOURNAL_FILE);
    const j = Journal.open(path);
    j.append({
      type: 'run-start',
      runId: 'thyme-20261121-000000-abcd',
      suite: 'thyme',
      target: 'sandbox',
      pid: 2 ** 22 + 7,
      host: hostname(),
    });
    j.append({
      type: 'resource-created',
      resource: {
        kind: 'elbv2-load-balancer',
        id: 'arn:aws:elasticloadbalancing:eu-central-1:123456789012:loadbalancer/net/a/1',
      },
    });
    j.close();
    appendFileSync(path, '{"t":"2026-11-21T00:00:09Z","type":"resource-cre');

    const human = runCli('bench', ['list', '--runs-dir', root]);
    assert.equal(human.status, 0, human.stderr);
    assert.match(human.stdout, /thyme-20261121-000000-abcd\s+thyme\s+sandbox\s+crashed\s+.*1 \(elbv2-load-balancer\)/);

    const json = JSON.parse(runCli('bench', ['list', '--json'], { env: { BENCH_RUNS_DIR: root } }).stdout) as {
      runs: { runId: string; status: string; aliveResources: unknown[]; skippedLines: number }[];
    };
    assert.equal(json.runs[0]?.status, 'crashed');
    assert.equal(json.runs[0]?.aliveResources.length, 1);
    assert.equal(json.runs[0]?.skippedLines, 1);
  });

  it('--verify says what it could not ask, and why; without it nothing is asked', () => {
    const root = tempDir();
    const runId = 'thyme-20261203-000000-abcd';
    const j = Journal.open(join(createRunDir(root, runId), JOURNAL_FILE));
    j.append({
      type: 'run-start',
      runId,
      suite: 'thyme',
      target: 'sandbox',
      pid: 2 ** 22 + 7,
      host: hostname(),
      options: { suiteRef: 'thyme', suiteDir: '/suites/thyme', region: 'eu-central-1', clusterName: 'c' },
    });
    j.append({
      type: 'resource-created',
      resource: { kind: 'kube-object', id: 'Namespace lgtm', objectKind: 'Namespace', apiVersion: 'v1', name: 'lgtm' },
    });
    j.close();
    // The local cloud this run used is not up (nothing in this directory).
    const env = { BENCH_RUNS_DIR: root, BENCH_SANDBOX_DIR: join(tempDir(), 'no-sandbox') };
    const verified = runCli('bench', ['list', '--verify', '--json'], { env });
    assert.equal(verified.status, 0, verified.stderr);
    const body = JSON.parse(verified.stdout) as ListResult;
    assert.equal(body.verified, true);
    const v = body.runs[0]?.verified;
    assert.deepEqual(
      v?.resources.map((r) => [r.id, r.exists]),
      [['Namespace lgtm', null]],
    );
    assert.match(v?.problem ?? '', /local cloud is not up/);
    const human = runCli('bench', ['list', '--verify'], { env });
    assert.match(human.stdout, new RegExp(`${runId}: 0 of 1 still exist, 0 gone, 1 not known`));
    assert.match(human.stdout, /not known: .*local cloud is not up/);
    const offline = JSON.parse(runCli('bench', ['list', '--json'], { env }).stdout) as ListResult;
    assert.equal(offline.verified, false);
    assert.equal(offline.runs[0]?.verified, undefined);
  });

  it('says so when there are no runs, and creates nothing', () => {
    const cwd = tempDir();
    const r = runCli('bench', ['list'], { cwd, env: { BENCH_RUNS_DIR: '' } });
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /No runs in .*\.bench\/runs/);
  });
});
