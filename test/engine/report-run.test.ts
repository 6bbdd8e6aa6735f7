import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { appendFileSync, readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { reportRun } from '../../src/engine/report.ts';
import { statusForExit } from '../../src/engine/run/finish-run.ts';
import { BenchError } from '../../src/errors.ts';
import type { RunReport } from '../../src/report/model.ts';
import { writeRawMetric } from '../../src/report/raw.ts';
import { Journal } from '../../src/run/journal.ts';
import { createRunDir, JOURNAL_FILE } from '../../src/run/run-dir.ts';
import { ROOT } from '../helpers/cli.ts';
import { tempDir } from '../helpers/tmp.ts';

const T0 = Date.parse('2026-12-03T01:00:00Z');
const iso = (s: number) => new Date(T0 + s * 1000).toISOString();

/**
 * A Thyme run's journal as the run leaves it: ramp 0 s, an active phase of 30 s, and (unless
 * `interrupted`) a cool-down of 0 s; the journal's times are set by hand.
 */
function writeRun(root: string, runId: string, options: { interrupted?: boolean; queries?: boolean } = {}): string {
  const dir = createRunDir(root, runId);
  const path = join(dir, JOURNAL_FILE);
  const journal = Journal.open(path);
  journal.close();
  const lines = [
    {
      t: iso(-60),
      type: 'run-start',
      runId,
      suite: 'thyme',
      target: 'sandbox',
      pid: 1,
      host: 'elsewhere',
      options: {
        suiteRef: 'thyme',
        suiteDir: join(ROOT, 'manifests', 'thyme'),
        clusterName: 'existing',
        prometheus: { kind: 'url', url: 'http://127.0.0.1:1' },
        params: {},
        ...(options.queries === false ? {} : { queries: { throughput: 'sum(rate(accepted[5s]))' } }),
      },
    },
    { t: iso(0), type: 'phase-start', phase: 'ramp' },
    { t: iso(0), type: 'phase-end', phase: 'ramp', ok: true },
    { t: iso(0), type: 'phase-start', phase: 'active' },
    { t: iso(30), type: 'phase-end', phase: 'active', ok: !options.interrupted },
    ...(options.interrupted
      ? [{ t: iso(40), type: 'run-end', status: 'interrupted', exitCode: 130 }]
      : [
          { t: iso(30), type: 'phase-start', phase: 'cooldown' },
          { t: iso(30), type: 'phase-end', phase: 'cooldown', ok: true },
        ]),
  ];
  appendFileSync(path, lines.map((l) => JSON.stringify(l)).join('\n') + '\n');
  return dir;
}

/** One series at `value` every second over the run's window. */
function series(value: number): { labels: Record<string, string>; samples: [number, number][] }[] {
  const samples: [number, number][] = [];
  for (let s = -5; s <= 35; s++) samples.push([(T0 + s * 1000) / 1000, value]);
  return [{ labels: {}, samples }];
}

function rawOf(metric: string, value: number) {
  return {
    metric,
    unit: 'logs/s',
    query: `q_${metric}`,
    source: 'prometheus' as const,
    stepSeconds: 1,
    start: iso(-5),
    end: iso(35),
    series: series(value),
  };
}

describe('bench report of one run', () => {
  let server: Server;
  let url = '';
  const asked: string[] = [];
  before(async () => {
    // A Prometheus stand-in that answers every range query with 50,000 (and says it is ready).
    const answer = async (req: IncomingMessage, res: ServerResponse) => {
      const u = new URL(req.url ?? '/', 'http://x');
      if (u.pathname === '/-/ready') return void res.end('ready');
      if (u.pathname === '/api/v1/query_range') {
        // Queries are POSTed as forms.
        let body = '';
        for await (const chunk of req) body += String(chunk);
        const form = new URLSearchParams(body);
        asked.push(form.get('query') ?? '');
        const start = Number(form.get('start'));
        const end = Number(form.get('end'));
        const values: [number, string][] = [];
        for (let t = Math.ceil(start); t <= end; t++) values.push([t, '50000']);
        res.setHeader('content-type', 'application/json');
        return void res.end(
          JSON.stringify({ status: 'success', data: { resultType: 'matrix', result: [{ metric: {}, values }] } }),
        );
      }
      res.statusCode = 404;
      res.end();
    };
    // Each request is answered on its own; one that fails leaves the query unanswered, which fails the test.
    server = createServer((req, res) => void answer(req, res));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(() => new Promise<void>((r) => server.close(() => r())));

  it('a run reported as succeeded whose gate fails is failed in summary.json and report.md', async () => {
    const root = tempDir();
    const dir = writeRun(root, 'thyme-20261203-010000-aaaa');
    for (const m of ['throughput', 'export_failures', 'cpu', 'heap'])
      writeRawMetric(dir, rawOf(m, m === 'throughput' ? 20_000 : 0));
    await assert.rejects(
      reportRun({ runId: 'thyme-20261203-010000-aaaa', runsDir: root, status: 'succeeded', recollect: false }),
      (err: unknown) => err instanceof BenchError && err.exitCode === 4,
    );
    const summary = JSON.parse(readFileSync(join(dir, 'summary.json'), 'utf8')) as RunReport;
    assert.equal(summary.run.status, 'failed');
    assert.match(readFileSync(join(dir, 'report.md'), 'utf8'), /\|\s*status\s*\|\s*failed\s*\|/);
  });

  it('never shows an unresolved query, even for a metric that was never fetched', async () => {
    const root = tempDir();
    for (const [runId, queries] of [
      ['thyme-20261203-010000-bbbb', true],
      ['thyme-20261203-010000-cccc', false],
    ] as const) {
      const dir = writeRun(root, runId, { interrupted: true, queries });
      await reportRun({ runId, runsDir: root, recollect: false }).catch(() => undefined);
      const summary = JSON.parse(readFileSync(join(dir, 'summary.json'), 'utf8')) as RunReport;
      for (const m of summary.metrics) assert.doesNotMatch(m.query ?? '', /\$\{/, `${runId} ${m.name}: ${m.query}`);
      for (const f of ['report.md', 'report.html'])
        assert.doesNotMatch(readFileSync(join(dir, f), 'utf8'), /\$\{rateWindow\}/, f);
      // The sandbox overlay's rate window (5s), as the run resolved it.
      assert.match(summary.metrics.find((m) => m.name === 'cpu')?.query ?? '', /\[5s\]/);
    }
  });

  it('an interrupted run that never collected gets every metric from --prometheus-url, and stays interrupted', async () => {
    const root = tempDir();
    const runId = 'thyme-20261203-010000-dddd';
    const dir = writeRun(root, runId, { interrupted: true });
    asked.length = 0;
    const result = await reportRun({ runId, runsDir: root, prometheusUrl: url }).catch((err: unknown) => {
      // The cool-down never ran: its gates cannot hold; the report is still written.
      assert.ok(err instanceof BenchError && err.exitCode === 4, String(err));
      return undefined;
    });
    assert.equal(result, undefined);
    const summary = JSON.parse(readFileSync(join(dir, 'summary.json'), 'utf8')) as RunReport;
    assert.equal(summary.run.status, 'interrupted');
    assert.deepEqual(summary.missing, []);
    assert.deepEqual(
      summary.phases.map((p) => p.phase),
      ['ramp', 'active'],
    );
    assert.equal(summary.metrics.find((m) => m.name === 'throughput')?.phases.active?.series[0]?.stats.mean, 50_000);
    assert.ok(asked.includes('sum(rate(accepted[5s]))'), `the recorded resolved query was sent: ${asked.join(' | ')}`);
    assert.ok(asked.every((q) => !q.includes('${')));
  });

  it('the run-end status goes with the exit code', () => {
    assert.deepEqual([0, 1, 2, 3, 4, 5, 130].map(statusForExit), [
      'succeeded',
      'failed',
      'failed',
      'failed',
      'failed',
      'failed',
      'interrupted',
    ]);
  });
});
