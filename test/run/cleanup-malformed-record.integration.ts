import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { createRunDir, JOURNAL_FILE } from '../../src/run/run-dir.ts';
import { runCli } from '../helpers/cli.ts';
import { tempDir } from '../helpers/tmp.ts';

// Spawns the built bin (`npm run build` first). A kube-target record: cleanup reaches no local
// cloud for it, so what fails here is the record and nothing else.
describe('bench cleanup on a journal whose run-start record is malformed', () => {
  it('exits 2 naming the field and what was expected, with a fix, and touches nothing', () => {
    const root = tempDir();
    const runId = 'thyme-20261203-010000-beef';
    const journal = join(createRunDir(root, runId), JOURNAL_FILE);
    const start = {
      t: '2026-12-03T01:00:00.000Z',
      type: 'run-start',
      runId,
      suite: 'thyme',
      target: 'kube',
      pid: 1,
      host: 'another-host',
      options: {
        suiteRef: 'thyme',
        suiteDir: '/suites/thyme',
        clusterName: 'existing',
        context: 'kind-bench',
        // Hand-edited: a number where the OpenTofu working directory's path belongs.
        tofu: { moduleDir: '/m', workDir: 42, binary: '/usr/bin/tofu', kind: 'tofu', version: '1.9.1' },
      },
    };
    const created = {
      t: '2026-12-03T01:00:01.000Z',
      type: 'resource-created',
      resource: {
        kind: 'kube-object',
        id: 'Namespace thyme',
        objectKind: 'Namespace',
        apiVersion: 'v1',
        name: 'thyme',
      },
    };
    const text = `${JSON.stringify(start)}\n${JSON.stringify(created)}\n`;
    writeFileSync(journal, text);

    const r = runCli('bench', ['cleanup', runId, '--runs-dir', root], { env: { KUBECONFIG: join(root, 'none') } });
    assert.equal(r.status, 2, r.stderr);
    assert.match(
      r.stderr,
      /run-start record in .* is malformed: options\.tofu\.workDir: expected string, received number/,
    );
    assert.match(r.stderr, /fix: the journal was written by another version of bench or edited by hand/);

    const json = runCli('bench', ['cleanup', runId, '--runs-dir', root, '--json'], {
      env: { KUBECONFIG: join(root, 'none') },
    });
    assert.equal(json.status, 2, json.stderr);
    const body = JSON.parse(json.stdout) as { error: { code: string; data: { field: string } } };
    assert.equal(body.error.code, 'E_JOURNAL_RECORD');
    assert.equal(body.error.data.field, 'options.tofu.workDir');
    // Refused before anything was appended: the journal is as it was written.
    assert.equal(readFileSync(journal, 'utf8'), text);
  });
});
