import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { UsageError } from '../../src/errors.ts';
import { compareRuns } from '../../src/report/run-comparison/build.ts';
import { RUN_COMPARISON_SCHEMA_VERSION, type RunComparisonReport } from '../../src/report/run-comparison/model.ts';
import { renderRunComparisonHtml } from '../../src/report/run-comparison/render-html.ts';
import { renderRunComparisonMarkdown } from '../../src/report/run-comparison/render-md.ts';
import { writeRunComparisonReports } from '../../src/report/run-comparison/write.ts';
import { tempDir } from '../helpers/tmp.ts';
import { thymeRaw, thymeReport } from './fixture.ts';

function run(level: number, seed: number, runId: string) {
  const raw = thymeRaw({ level, seed });
  return { ...thymeReport({ raw, runId }), label: runId.split('-')[0] };
}

const stat = (report: RunComparisonReport, metric: string, name: 'mean' | 'p95') =>
  report.metrics.find((m) => m.name === metric)!.stats.find((s) => s.stat === name)!;

describe('compare', () => {
  it('says at the top when the compared runs ran on the local cloud, with simulated series', async () => {
    const sim = compareRuns([run(50_000, 1, 'a-1'), run(50_000, 2, 'b-2')]);
    assert.deepEqual(sim.simulated?.runs, ['a-1', 'b-2']);
    assert.match(
      renderRunComparisonMarkdown(sim),
      /^# Comparison: a vs b\n\n> \*\*Simulated:\*\* Every run compared here ran on the local cloud: their series come from bench's own workload simulator/,
    );
    assert.match(await renderRunComparisonHtml(sim), /<body>\n<h1>[^<]*<\/h1>\n<div class="simulated" role="note">/);
    const aws = (level: number, seed: number, runId: string) => ({
      ...thymeReport({ raw: thymeRaw({ level, seed }), runId, target: 'aws' }),
      label: runId,
    });
    const measured = compareRuns([aws(50_000, 1, 'x-1'), aws(50_000, 2, 'y-2')]);
    assert.equal(measured.simulated, null);
    assert.doesNotMatch(renderRunComparisonMarkdown(measured), /Simulated/);
    const mixed = compareRuns([aws(50_000, 1, 'x-1'), run(50_000, 2, 'b-2')]);
    assert.match(mixed.simulated?.note ?? '', /^Run b-2 ran on the local cloud/);
  });

  it('finds a true 20% difference significant, its interval excluding 0 and containing 20%', () => {
    const a = run(50_000, 1, 'base-1');
    const b = run(60_000, 2, 'faster-2');
    const report = compareRuns([a, b]);
    assert.equal(report.schemaVersion, RUN_COMPARISON_SCHEMA_VERSION);
    assert.equal(report.baseline, 'base-1');
    assert.deepEqual(report.method.resamples, 2000);
    const mean = stat(report, 'throughput', 'mean');
    assert.equal(mean.values[0]!.samples, 75); // the report's active window: the first 5 s ([5s] rate) left out
    const d = mean.differences[0]!;
    assert.equal(d.baseline, 'base-1');
    assert.equal(d.significant, true);
    assert.ok(d.interval![0] > 0, `interval ${d.interval}`);
    assert.ok(d.interval![0] <= 10_000 + 200 && d.interval![1] >= 10_000 - 200, `interval ${d.interval}`);
    const [low, high] = d.relativeInterval!;
    assert.ok(low <= 0.205 && high >= 0.195, `relative interval [${low}, ${high}] does not contain ~20%`);
    assert.ok(Math.abs(d.relativeDifference! - 0.2) < 0.005);
    console.log(
      `compare: throughput +${(d.relativeDifference! * 100).toFixed(2)} %, 95% CI [${(low * 100).toFixed(2)} %, ${(high * 100).toFixed(2)} %]`,
    );
    // p95 where the suite aggregates it; export_failures has only mean and max.
    assert.ok(stat(report, 'throughput', 'p95').differences[0]!.significant);
    assert.deepEqual(
      report.metrics.find((m) => m.name === 'export_failures')!.stats.map((s) => s.stat),
      ['mean'],
    );
  });

  it('finds no significant difference between runs drawn from the same distribution', () => {
    const report = compareRuns([run(50_000, 1, 'a-1'), run(50_000, 2, 'b-2'), run(50_000, 3, 'c-3')]);
    for (const d of stat(report, 'throughput', 'mean').differences) {
      assert.equal(d.significant, false, `${d.label}: ${d.interval}`);
      assert.ok(d.interval![0] < 0 && d.interval![1] > 0);
    }
    // Identical constant series: a zero difference with a zero-width interval is not significant.
    const failures = stat(report, 'export_failures', 'mean').differences[0]!;
    assert.deepEqual([failures.difference, failures.interval, failures.significant], [0, [0, 0], false]);
    assert.equal(failures.relativeDifference, null);
    assert.equal(failures.relativeInterval, null);
  });

  it('is reproducible: the same runs give the same report', () => {
    const runs = [run(50_000, 1, 'a-1'), run(52_000, 2, 'b-2')];
    const first = compareRuns(runs);
    const second = compareRuns(runs);
    assert.equal(JSON.stringify(first), JSON.stringify(second));
    const otherSeed = compareRuns(runs, { seed: 99 });
    assert.notDeepEqual(
      stat(otherSeed, 'throughput', 'mean').differences[0]!.interval,
      stat(first, 'throughput', 'mean').differences[0]!.interval,
    );
  });

  it('says which run has no data instead of comparing', () => {
    const a = run(50_000, 1, 'a-1');
    const b = run(50_000, 2, 'b-2');
    b.raw.set('heap', { ...b.raw.get('heap')!, series: [], missing: 'Prometheus stopped' });
    const report = compareRuns([a, { ...thymeReport({ raw: b.raw, runId: 'b-2' }), label: 'b' }]);
    const heap = stat(report, 'heap', 'mean');
    assert.equal(heap.values[1]!.value, null);
    assert.equal(heap.values[1]!.missing, 'Prometheus stopped');
    assert.deepEqual([heap.differences[0]!.significant, heap.differences[0]!.missing], [false, 'Prometheus stopped']);
    assert.match(renderRunComparisonMarkdown(report), /missing: Prometheus stopped/);
  });

  it('needs two runs', () => {
    assert.throws(() => compareRuns([run(1, 1, 'a-1')]), UsageError);
  });

  it('renders compare.md, compare.html (a chart per metric) and compare.json', async () => {
    const report = compareRuns([run(50_000, 1, 'base-1'), run(60_000, 2, 'faster-2')]);
    const md = renderRunComparisonMarkdown(report);
    assert.match(md, /^# Comparison: base vs faster/);
    assert.match(md, /## throughput \(logs\/s\)\n\n[\s\S]*### mean during active/);
    assert.match(
      md,
      /\| faster \| 75 \| 60,\S+ logs\/s \| \[\S+ logs\/s, \S+ logs\/s\] \| \+\S+ logs\/s \| \+20\.\d % \| .* \| yes \|/,
    );
    const html = await renderRunComparisonHtml(report);
    assert.equal(html.match(/<svg\b/g)?.length, report.metrics.length);
    assert.doesNotMatch(html, /<script\b|\b(?:src|href)\s*=\s*["']?(?:https?:)?\/\//i);
    const dir = tempDir();
    const written = await writeRunComparisonReports(dir, report);
    assert.deepEqual(JSON.parse(readFileSync(written.json, 'utf8')), report);
    assert.equal(readFileSync(written.md, 'utf8'), md);
    assert.equal(readFileSync(written.html, 'utf8'), html);
  });
});
