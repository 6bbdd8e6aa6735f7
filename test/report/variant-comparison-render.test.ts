import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import {
  variantComparisonChartSpec,
  renderVariantComparisonHtml,
  renderVariantComparisonMarkdown,
  writeVariantComparisonReports,
} from '../../src/report/variant-comparison/render.ts';
import { paramsByArm } from '../../src/engine/comparison-report.ts';
import { tempDir } from '../helpers/tmp.ts';
import { comparisonReport, SIGNIFICANT_VERDICT } from './variant-comparison-fixture.ts';

/** The part of report.md from `heading` to the next heading of the same or a higher level. */
function section(md: string, heading: string): string {
  const start = md.indexOf(`${heading}\n`);
  assert.ok(start >= 0, `no ${heading}`);
  const level = heading.match(/^#+/)![0].length;
  const rest = md.slice(start + heading.length);
  const next = rest.search(new RegExp(`\\n#{1,${level}} `));
  return next < 0 ? md.slice(start) : md.slice(start, start + heading.length + next);
}

describe('comparison report.md', () => {
  const report = comparisonReport();
  const md = renderVariantComparisonMarkdown(report);

  it('says at the top which series are simulated', async () => {
    assert.match(
      md,
      /^# koorde comparison: chord vs koorde\n\n> \*\*Simulated:\*\* Run on the local cloud \(target sandbox\): the series of latency\.p95 come from bench's own workload simulator/,
    );
    const html = await renderVariantComparisonHtml(report);
    const body = html.slice(html.indexOf('<body>'));
    assert.ok(body.indexOf('<div class="simulated" role="note">') > 0);
    assert.ok(body.indexOf('<div class="simulated" role="note">') < body.indexOf('<table class="run">'));
    const { simulation: _, ...measured } = report;
    assert.doesNotMatch(renderVariantComparisonMarkdown(measured), /Simulated/);
  });

  it('has the title, the run table, the verdicts and the method', () => {
    assert.match(md, /^# koorde comparison: chord vs koorde\n/);
    assert.match(md, /\| run \| koorde-20260301-120000-c0de \|/);
    assert.match(md, /\| mode \| side by side: the arms run at the same time \|/);
    assert.match(md, /\| arms \| chord \(baseline, namespace chord-dht\); koorde \(namespace koorde-dht\) \|/);
    assert.match(md, /\| sizes \| nodes: 8, 16, 32 \|/);
    assert.match(md, /\| repetitions \| 2 per size \|/);
    assert.match(md, /\| provisioned with \| OpenTofu 1\.9\.1 \(\/opt\/bench\/bin\/tofu\) \|/);
    const verdicts = section(md, '## Verdicts');
    // The significant finding in bold, the others as they are.
    assert.ok(verdicts.includes(`- **${SIGNIFICANT_VERDICT}**`), verdicts);
    assert.match(verdicts, /^- throughput: no significant difference at any size$/m);
    assert.match(verdicts, /^- de Bruijn successes: no significant difference at any size$/m);
    const method = section(md, '## Method');
    assert.match(method, /percentile bootstrap/);
    assert.match(
      method,
      /Confidence 95%; differences within ±5% are not called significant; 2,000 bootstrap resamples, seed 1/,
    );
    assert.match(
      method,
      /test: Mann-Whitney U \(two-sided\) on the pooled units; correction for multiple comparisons: Holm/,
    );
  });

  it('lists the identical parameters, and those that differ per arm', () => {
    const params = section(md, '## Parameters');
    assert.match(params, /\| idBits \| 66 \|/);
    assert.match(params, /\| grpcLoadBalancer \| false \|/);
    assert.match(params, /\| stabilizationInterval \| 2s \|/);
    // The protocol differs by arm: shown per arm, not among the identical parameters.
    assert.match(
      params,
      /Different by arm \(what each variant sets\):\n\n\| parameter \| chord \| koorde \|\n\|[-| ]+\|\n\| protocol \| chord \| koorde \|/,
    );
    assert.doesNotMatch(params.split('Different by arm')[0]!, /protocol/);
    const html = renderVariantComparisonHtml(report);
    return html.then((h) => {
      assert.match(h, /<td>protocol<\/td><td>chord<\/td><td>koorde<\/td>/);
    });
  });

  it('shows the parameters a variant sets per arm, out of the shared ones', () => {
    const split = paramsByArm(
      {
        arms: [
          { name: 'chord', variant: 'chord', namespace: 'chord-dht' },
          { name: 'koorde', variant: 'koorde', namespace: 'koorde-dht' },
          { name: 'chord-2', variant: 'chord', namespace: 'chord-dht-2' },
        ],
        params: { protocol: 'koorde', rate: 100 },
      },
      { chord: { params: { protocol: 'chord' } }, koorde: { params: { protocol: 'koorde' } } },
    );
    assert.deepEqual(split, {
      params: { rate: 100 },
      armParams: { chord: { protocol: 'chord' }, koorde: { protocol: 'koorde' }, 'chord-2': { protocol: 'chord' } },
    });
    assert.deepEqual(paramsByArm({ arms: [], params: { rate: 1 } }, {}), { params: { rate: 1 } });
  });

  it('lists the schedule with each arm’s window', () => {
    const schedule = section(md, '## Schedule');
    assert.match(schedule, /\| order \| nodes \| repetition \| arms \(run order\) \| chord window \| koorde window \|/);
    assert.match(
      schedule,
      /\| 1 \| 16 \| 1 \| koorde \+ chord \| 2026-03-01T12:00:30\.000Z → 12:02:30\.000Z \(2m\) \| 2026-03-01T12:00:30\.000Z → 12:02:30\.000Z \(2m\) \|/,
    );
    assert.equal(schedule.match(/^\| \d \| /gm)?.length, 6);
  });

  it('has a row per size with both arms’ medians and intervals, the relative difference and the verdict', () => {
    const latency = section(md, '### latency p95 (ms)');
    assert.match(
      latency,
      /latency\.p95: lower is better\. Per trial: the p95 of its units; per size: the median of the 2 repetitions/,
    );
    assert.match(
      latency,
      /\| nodes \| chord median \[95% CI\] \| koorde median \[95% CI\] \| koorde vs chord \[95% CI\] \| p \(adjusted\) \| Cliff's δ \| verdict \|/,
    );
    // 32 nodes: the significant finding, its verdict in bold.
    assert.match(
      latency,
      /\| 32 \| 71\.8 ms \[70\.8, 72\.8\] \| 58\.6 ms \[57\.6, 59\.6\] \| -18\.4 % \[-24\.1 %, -12\.2 %\] \| < 0\.001 \(adj\. 0\.0063\) \| -0\.41 \(medium\) \| \*\*koorde latency p95 18\.4% lower than chord at nodes = 32 \[12\.2%, 24\.1%\]\*\* \|/,
    );
    assert.match(
      latency,
      /\| 8 \| 42\.1 ms \[41\.4, 42\.8\] \| 40\.5 ms \[39\.6, 41\.4\] \| -3\.8 % \[-7\.1 %, \+1\.8 %\] \| 0\.082 \(adj\. 0\.41\) \| -0\.08 \(negligible\) \| no significant difference/,
    );
    assert.match(latency, /^\| 16 \| 55\.3 ms /m);
    // Per repetition, with the units pooled.
    assert.match(latency, /\| nodes \| chord per repetition \| koorde per repetition \|/);
    assert.match(latency, /\| 16 \| 54\.9, 55\.7 \(n = 24,000\) \| 48\.6, 47\.2 \(n = 24,000\) \|/);
  });

  it('shows a missing arm as no data, and an absolute difference when the baseline is 0', () => {
    const throughput = section(md, '### throughput (req/s)');
    assert.match(
      throughput,
      /\| 16 \| 99\.7 req\/s \[99\.2, 100\.1\] \| no data \| — \| — \| — \| no data \(koorde\) \|/,
    );
    assert.match(throughput, /\| 16 \| 99\.6, 99\.8 \(n = 240\) \| —, — \(n = 0\) \|/);
    const deBruijn = section(md, '### de Bruijn successes (hops)');
    assert.match(deBruijn, /neither higher nor lower is better\. Per trial: its single value/);
    assert.match(
      deBruijn,
      /\| 8 \| 0 hops \[0, 0\] \| 760 hops \[740, 780\] \| \+760 hops \[\+740, \+780\] \(absolute; the baseline is 0\) \|/,
    );
    const fallbacks = section(md, '### successor fallbacks (hops)');
    assert.match(fallbacks, /> \*\*missing:\*\* no DHT pod answered GET \/metrics on port 8080 \(connection refused\)/);
    assert.doesNotMatch(fallbacks, /\| nodes \|/);
  });

  it('names the missing data at the end', () => {
    const missing = section(md, '## Missing data');
    assert.match(
      missing,
      /^- metric successor fallbacks \(successor_fallbacks\.last\): no DHT pod answered GET \/metrics on port 8080 \(connection refused\)$/m,
    );
    assert.match(missing, /^- throughput \(throughput\.mean\), nodes = 16: no data from koorde$/m);
    assert.equal(missing.match(/^- /gm)?.length, 2, missing);
  });
});

describe('comparison report.html', () => {
  it('is one self-contained page: a chart per metric with data, the arms in each legend, the significant verdict marked', async () => {
    const report = comparisonReport();
    const html = await renderVariantComparisonHtml(report);
    assert.match(html, /^<!doctype html>/);
    assert.equal(html.match(/<html\b/g)?.length, 1);
    assert.doesNotMatch(html, /<script\b/i);
    assert.doesNotMatch(html, /\b(?:src|href)\s*=/i);
    const urls = [...html.matchAll(/https?:\/\/[^\s"'<>)]+/g)].map((m) => m[0]);
    assert.deepEqual(
      urls.filter((u) => u !== 'http://www.w3.org/2000/svg' && u !== 'http://www.w3.org/1999/xlink'),
      [],
    );

    const withData = report.metrics.filter((m) => m.id !== 'successor_fallbacks.last');
    const svgs = html.match(/<svg\b[\s\S]*?<\/svg>/g) ?? [];
    assert.equal(svgs.length, withData.length);
    for (const [i, metric] of withData.entries()) {
      const svg = svgs[i]!;
      const at = html.indexOf(`<section class="metric" id="metric-${metric.id}">`);
      assert.ok(
        at >= 0 && at < html.indexOf(svg) && html.indexOf(svg) < html.indexOf('<table class="comparison">', at),
      );
      assert.match(svg, />chord</, `${metric.id}: no chord in the legend`);
      assert.match(svg, />koorde</, `${metric.id}: no koorde in the legend`);
      // The sizes on the x axis, a line and a band per arm.
      for (const size of ['8', '16', '32']) assert.match(svg, new RegExp(`>${size}<`));
      assert.match(svg, />nodes \(log scale\)</);
      const lines = svg.match(/aria-roledescription="line mark"[^>]*\bd="M[^"]+"/g) ?? [];
      const bands = svg.match(/aria-roledescription="area mark"[^>]*\bd="M[^"]+"/g) ?? [];
      assert.ok(lines.length >= 2, `${metric.id}: ${lines.length} lines`);
      assert.ok(bands.length >= 2, `${metric.id}: ${bands.length} bands`);
    }
    assert.match(html, /<div class="missing" role="note"><strong>missing:<\/strong> no DHT pod answered/);

    // The significant verdict emphasised (and better: latency is lower-is-better), the others not.
    const verdicts = html.slice(
      html.indexOf('<ul class="verdicts">'),
      html.indexOf('</ul>', html.indexOf('<ul class="verdicts">')),
    );
    assert.ok(verdicts.includes(`<li class="significant better">${SIGNIFICANT_VERDICT}</li>`), verdicts);
    assert.equal(verdicts.match(/class="significant/g)?.length, 1);
    assert.match(html, /<td class="verdict significant better">koorde latency p95 18\.4% lower/);
    assert.match(html, /<td class="no-data">no data<\/td>/);
    assert.match(html, /<h2>Missing data<\/h2>\n<ul class="missing-list">.*nodes = 16: no data from koorde/);
  });

  it('breaks an arm’s line where it has no data, and uses a linear axis for sizes that are neither powers of two nor wide', () => {
    const report = comparisonReport();
    const spec = variantComparisonChartSpec(
      report,
      report.metrics.find((m) => m.id === 'throughput.mean')!,
    ) as unknown as {
      data: { values: { arm: string; size: number; median: number | null }[] };
      layer: { encoding: { x: { scale: Record<string, unknown>; title: string } } }[];
    };
    assert.deepEqual(
      spec.data.values.filter((v) => v.arm === 'koorde').map((v) => [v.size, v.median]),
      [
        [8, 99.6],
        [16, null],
        [32, 99.6],
      ],
    );
    assert.equal(spec.layer[0]!.encoding.x.scale.type, 'log');
    const linear = variantComparisonChartSpec(
      { ...report, sizes: [10, 20, 30] },
      report.metrics[0]!,
    ) as unknown as typeof spec;
    assert.equal(linear.layer[0]!.encoding.x.scale.type, undefined);
    assert.equal(linear.layer[0]!.encoding.x.title, 'nodes');
  });
});

describe('writeVariantComparisonReports', () => {
  it('writes report.md, report.html and summary.json; summary.json is the model', async () => {
    const report = comparisonReport();
    const dir = join(tempDir('bench-comparison-'), 'run');
    const written = await writeVariantComparisonReports(dir, report);
    assert.deepEqual(written, {
      json: join(dir, 'summary.json'),
      md: join(dir, 'report.md'),
      html: join(dir, 'report.html'),
    });
    assert.deepEqual(readdirSync(dir).sort(), ['report.html', 'report.md', 'summary.json']);
    assert.equal(readFileSync(written.md, 'utf8'), renderVariantComparisonMarkdown(report));
    assert.equal(readFileSync(written.html, 'utf8'), await renderVariantComparisonHtml(report));
    const json = readFileSync(written.json, 'utf8');
    assert.ok(json.endsWith('}\n') && json.includes('\n  "kind": "comparison",'));
    const parsed = JSON.parse(json) as { metrics: object[]; kind: unknown; schemaVersion: unknown; results: unknown };
    // `better: undefined` (neither direction) is absent from the JSON; everything else is the model.
    assert.equal('better' in (parsed.metrics[3] as object), false);
    assert.deepEqual(parsed, JSON.parse(JSON.stringify(report)));
    assert.equal(parsed.kind, 'comparison');
    assert.equal(parsed.schemaVersion, 1);
    assert.deepEqual(parsed.results, report.results);
  });
});
