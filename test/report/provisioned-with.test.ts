import assert from 'node:assert/strict';
import { appendFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { reportRun } from '../../src/engine/report.ts';
import { recordedTofu, type RunReport } from '../../src/report/model.ts';
import { Journal } from '../../src/run/journal.ts';
import { createRunDir, JOURNAL_FILE } from '../../src/run/run-dir.ts';
import { ROOT } from '../helpers/cli.ts';
import { tempDir } from '../helpers/tmp.ts';

const T0 = Date.parse('2026-12-03T01:00:00Z');
const iso = (s: number) => new Date(T0 + s * 1000).toISOString();

/** A finished Thyme run's journal whose run-start record names `tofu` (as prepareRun writes it). */
function writeRun(root: string, runId: string, target: string, tofu: Record<string, string> | undefined): string {
  const dir = createRunDir(root, runId);
  const path = join(dir, JOURNAL_FILE);
  Journal.open(path).close();
  const lines = [
    {
      t: iso(-60),
      type: 'run-start',
      runId,
      suite: 'thyme',
      target,
      pid: 1,
      host: 'elsewhere',
      options: {
        suiteRef: 'thyme',
        suiteDir: join(ROOT, 'manifests', 'thyme'),
        clusterName: 'existing',
        params: {},
        ...(tofu ? { tofu } : {}),
      },
    },
    { t: iso(0), type: 'phase-start', phase: 'active' },
    { t: iso(30), type: 'phase-end', phase: 'active', ok: true },
    { t: iso(40), type: 'run-end', status: 'succeeded', exitCode: 0 },
  ];
  appendFileSync(path, lines.map((l) => JSON.stringify(l)).join('\n') + '\n');
  return dir;
}

/** Reports the run; its metrics are missing (no raw data), which throws after the files are written. */
async function report(root: string, runId: string): Promise<{ summary: RunReport; md: string; html: string }> {
  await reportRun({ runId, runsDir: root, recollect: false }).catch(() => undefined);
  const dir = join(root, runId);
  return {
    summary: JSON.parse(readFileSync(join(dir, 'summary.json'), 'utf8')) as RunReport,
    md: readFileSync(join(dir, 'report.md'), 'utf8'),
    html: readFileSync(join(dir, 'report.html'), 'utf8'),
  };
}

describe('the report names the tofu that provisioned the run', () => {
  it('from the run-start record: kind, version and binary in summary.json, report.md and report.html', async () => {
    const root = tempDir('bench-report-tofu-');
    const tofu = { binary: '/opt/tofu/bin/tofu', kind: 'tofu', version: '1.9.1', moduleDir: '/m', workDir: '/w' };
    writeRun(root, 'thyme-20261203-010000-a1a1', 'sandbox', tofu);
    const { summary, md, html } = await report(root, 'thyme-20261203-010000-a1a1');
    assert.deepEqual(summary.run.tofu, { kind: 'tofu', version: '1.9.1', binary: '/opt/tofu/bin/tofu' });
    assert.match(md, /\| provisioned with \| OpenTofu 1\.9\.1 \(\/opt\/tofu\/bin\/tofu\) \|/);
    assert.match(html, /provisioned with<\/t[hd]>\s*<td>OpenTofu 1\.9\.1 \(\/opt\/tofu\/bin\/tofu\)<\/td>/);
  });

  it('says Terraform when Terraform ran (aws without OpenTofu), and nothing on an existing cluster', async () => {
    const root = tempDir('bench-report-tofu-');
    writeRun(root, 'thyme-20261203-010000-b2b2', 'aws', {
      binary: '/usr/bin/terraform',
      kind: 'terraform',
      version: '1.11.4',
      moduleDir: '/m',
      workDir: '/w',
    });
    const aws = await report(root, 'thyme-20261203-010000-b2b2');
    assert.equal(aws.summary.run.tofu?.kind, 'terraform');
    assert.match(aws.md, /\| provisioned with \| Terraform 1\.11\.4 \(\/usr\/bin\/terraform\) \|/);

    writeRun(root, 'thyme-20261203-010000-c3c3', 'kube', undefined);
    const kube = await report(root, 'thyme-20261203-010000-c3c3');
    assert.equal(kube.summary.run.tofu, null);
    assert.match(kube.md, /\| provisioned with \| nothing \(an existing cluster\) \|/);
  });

  it('reads only a complete record', () => {
    assert.equal(recordedTofu(undefined), null);
    assert.equal(recordedTofu({ tofu: { binary: '/b', kind: 'pulumi', version: '1' } }), null);
    assert.equal(recordedTofu({ tofu: { kind: 'tofu', version: '1.9.1' } }), null);
    assert.deepEqual(recordedTofu({ tofu: { binary: '/b', kind: 'tofu', version: '1.9.1', workDir: '/w' } }), {
      kind: 'tofu',
      version: '1.9.1',
      binary: '/b',
    });
  });
});
