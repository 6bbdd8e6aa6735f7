import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { WorkloadImages } from '../../src/run/workload-images.ts';
import { metricChartSpec, renderSvg, seriesNames } from '../../src/report/chart.ts';
import { formatBytes, formatStat } from '../../src/report/format.ts';
import { isSimulated } from '../../src/report/model.ts';
import { renderHtml } from '../../src/report/render-html.ts';
import { renderMarkdown } from '../../src/report/render-md.ts';
import { thymeRaw, thymeReport, thymeSuite, withGates } from './fixture.ts';

/** The layers of a layered Vega-Lite spec, loosely typed for the assertions. */
type Layer = {
  mark: { type: string };
  data: { values: Record<string, unknown>[] };
  encoding: Record<string, { title?: string }>;
};
const layersOf = (spec: unknown) => (spec as { layer: Layer[] }).layer;

const IMAGES: WorkloadImages[] = [
  {
    kind: 'DaemonSet',
    namespace: 'thyme-benchmark',
    name: 'thyme',
    images: [
      {
        container: 'thyme',
        init: false,
        image: 'ghcr.io/example/thyme:0.4.2',
        imageID: 'ghcr.io/example/thyme@sha256:' + 'a'.repeat(64),
        pods: ['thyme-1', 'thyme-2'],
      },
    ],
  },
  {
    kind: 'Deployment',
    namespace: 'thyme-benchmark',
    name: 'nop-collector',
    images: [
      { container: 'otelcol', init: false, image: 'otel/opentelemetry-collector:0.98.0', imageID: null, pods: ['n-1'] },
    ],
  },
];

describe('what was measured: simulation, verdict and headline figures', () => {
  it('marks every Thyme series of a local-cloud run as simulated, and none of a run on aws', () => {
    const { report } = thymeReport();
    assert.deepEqual(
      report.metrics.map((m) => [m.name, m.simulated]),
      [
        ['throughput', true],
        ['export_failures', true],
        ['cpu', true],
        ['heap', true],
      ],
    );
    assert.equal(report.simulation.simulated, true);
    assert.deepEqual(report.simulation.metrics, ['throughput', 'export_failures', 'cpu', 'heap']);
    assert.match(
      report.simulation.note ?? '',
      /local cloud \(target sandbox\): every series of this report comes from bench's own workload simulator, not from thyme/,
    );
    assert.match(report.simulation.note ?? '', /show the tool working .*nothing about the real performance/);

    const aws = thymeReport({ target: 'aws' }).report;
    assert.ok(aws.metrics.every((m) => !m.simulated));
    assert.deepEqual(aws.simulation, { simulated: false, metrics: [], note: null });
    assert.doesNotMatch(renderMarkdown(aws), /Simulated/);
  });

  it('decides per metric: a query over real components of the local cloud is not simulated', () => {
    assert.equal(isSimulated('sandbox', 'prometheus', 'sum(up{job="kubernetes-apiservers"})'), false);
    assert.equal(
      isSimulated(
        'sandbox',
        'prometheus',
        'histogram_quantile(0.95, sum by (le) (rate(dht_request_duration_seconds_bucket[5s])))',
      ),
      true,
    );
    assert.equal(isSimulated('sandbox', 'workload', null), true);
    assert.equal(isSimulated('sandbox', 'pod-metrics', null), true);
    assert.equal(isSimulated('kube', 'pod-metrics', null), false);
  });

  it('has a headline figure per metric: the active-phase statistic a gate reads, else the mean', () => {
    const { report } = thymeReport();
    const by = new Map(report.metrics.map((m) => [m.name, m]));
    const tput = by.get('throughput')!;
    assert.equal(tput.headline.stat, 'mean');
    assert.equal(tput.headline.series, 1);
    assert.equal(tput.headline.value, tput.phases.active!.series[0]!.stats.mean);
    // export_failures is gated on its max during active.
    assert.equal(by.get('export_failures')!.headline.stat, 'max');
    const cpu = by.get('cpu')!.headline;
    const means = by.get('cpu')!.phases.active!.series.map((s) => s.stats.mean as number);
    assert.deepEqual([cpu.series, cpu.value, cpu.min, cpu.max], [3, null, Math.min(...means), Math.max(...means)]);
  });

  it('report.md opens with the simulation note and a verdict block (gates, headline figures) above the details', () => {
    const { report } = thymeReport();
    const md = renderMarkdown(report);
    const lines = md.split('\n');
    assert.equal(lines[0], '# thyme benchmark: run thyme-20260301-120000-abcd');
    assert.match(lines[2] ?? '', /^> \*\*Simulated:\*\* Run on the local cloud \(target sandbox\)/);
    const verdict = md.indexOf('## Verdict');
    assert.ok(verdict > 0 && verdict < md.indexOf('## Run') && md.indexOf('## Run') < md.indexOf('## Metrics'));
    const block = md.slice(verdict, md.indexOf('## Run'));
    assert.match(block, /\*\*PASS: 2 of 2 passed \(run succeeded\)\*\*/);
    assert.match(block, /\| PASS \| throughput mean during active \| 50,\d{3}(\.\d)? logs\/s \| >= 50,000 logs\/s \|/);
    assert.match(block, /\| PASS \| export_failures max during active \| 0 logs\/s \| == 0 logs\/s \|/);
    assert.match(block, /\| metric \| active \| value \| source \|/);
    assert.match(block, /\| throughput \| mean \| 50,\d{3}(\.\d)? logs\/s \| simulated \|/);
    assert.match(block, /\| cpu \| mean \| [\d.]+ cores – [\d.]+ cores \(3 series\) \| simulated \|/);
    // A failing gate makes the verdict FAIL, with the value and threshold.
    const strict = thymeReport({
      suite: withGates(thymeSuite(), [
        { metric: 'throughput', phase: 'active', stat: 'mean', op: '>=', value: 60_000 },
      ]),
    }).report;
    assert.match(renderMarkdown(strict), /\*\*FAIL: 0 of 1 passed, 1 failed \(run succeeded\)\*\*/);
    assert.match(
      renderMarkdown(strict),
      /\| FAIL \| throughput mean during active \| 50,\d{3}(\.\d)? logs\/s \| >= 60,000 logs\/s \|/,
    );
  });

  it('shows bytes in binary units', () => {
    assert.equal(formatBytes(512), '512 B');
    assert.equal(formatBytes(1536), '1.5 KiB');
    assert.equal(formatBytes(180 * 1024 * 1024), '180 MiB');
    assert.equal(formatBytes(3 * 1024 ** 3), '3 GiB');
    assert.equal(formatStat(48 * 1024 * 1024, 'bytes', 'mean'), '48 MiB');
    const md = renderMarkdown(thymeReport().report);
    const heap = md.slice(md.indexOf('### heap'));
    assert.match(heap, /\d+(\.\d+)? MiB/);
    assert.doesNotMatch(md, /\d{3},\d{3},\d{3}(\.\d+)? bytes/);
  });

  it('draws a gated chart with its threshold, bytes in MiB, and a legend of the labels that differ', async () => {
    const { report, raw, windows } = thymeReport();
    const spec = metricChartSpec({
      title: 'throughput',
      unit: 'logs/s',
      raw: raw.get('throughput')!,
      windows,
      originMs: Date.parse(windows[0]!.start),
      thresholds: [{ value: 50_000, label: 'gate: mean during active >= 50,000 logs/s' }],
    });
    const rules = layersOf(spec).filter((l) => l.mark.type === 'rule');
    assert.equal(rules.length, 1);
    assert.deepEqual(rules[0]!.data.values, [{ v: 50_000, label: 'gate: mean during active >= 50,000 logs/s' }]);
    const svg = await renderSvg(spec);
    assert.match(svg, /aria-roledescription="rule mark"/);
    assert.match(svg, />gate: mean during active &gt;= 50,000 logs\/s</);

    const html = await renderHtml(report, raw);
    const throughputSection = html.slice(
      html.indexOf('id="metric-throughput"'),
      html.indexOf('id="metric-export_failures"'),
    );
    assert.match(throughputSection, /aria-roledescription="rule mark"/);
    assert.match(throughputSection, /gate: mean during active &gt;= 50,000 logs\/s/);
    const cpuSection = html.slice(html.indexOf('id="metric-cpu"'), html.indexOf('id="metric-heap"'));
    assert.doesNotMatch(cpuSection, /rule mark/, 'cpu has no gate');

    const heap = metricChartSpec({
      title: 'heap',
      unit: 'bytes',
      raw: raw.get('heap')!,
      windows,
      originMs: Date.parse(windows[0]!.start),
    });
    const line = layersOf(heap).find((l) => l.mark.type === 'line')!;
    assert.equal(line.encoding.y?.title, 'MiB');
    const max = Math.max(...line.data.values.map((p) => p.v as number));
    assert.ok(max > 150 && max < 250, `heap drawn in MiB: ${max}`);

    // Labels shared by every series (job, service_name) stay out of the legend.
    const labelled = thymeRaw().get('cpu')!;
    labelled.series = labelled.series.map((s) => ({
      ...s,
      labels: { ...s.labels, job: 'bench-sandbox-simulator', service_name: 'thyme' },
    }));
    assert.deepEqual(seriesNames(labelled.series, 'cpu'), [
      'instance=10.0.0.1:8888',
      'instance=10.0.0.2:8888',
      'instance=10.0.0.3:8888',
    ]);
    const cpuSvg = await renderSvg(
      metricChartSpec({ title: 'cpu', unit: 'cores', raw: labelled, windows, originMs: Date.parse(windows[0]!.start) }),
    );
    assert.match(cpuSvg, />instance=10\.0\.0\.1:8888</);
    assert.doesNotMatch(cpuSvg, /service_name|bench-sandbox-simulator|…/);
    assert.deepEqual(seriesNames([{ labels: {} }], 'throughput'), ['throughput']);
  });

  it('report.html opens with the simulation note and the verdict block', async () => {
    const { report, raw } = thymeReport();
    const html = await renderHtml(report, raw);
    const body = html.slice(html.indexOf('<body>'));
    const note = body.indexOf('<div class="simulated" role="note">');
    const verdict = body.indexOf('<section class="verdict pass" id="verdict">');
    assert.ok(note > 0 && note < verdict && verdict < body.indexOf('<h2>Run</h2>'), `${note} ${verdict}`);
    assert.match(body, /<p class="verdict-line">PASS: 2 of 2 passed \(run succeeded\)<\/p>/);
    assert.match(
      body,
      /<tr class="pass"><td>PASS<\/td><td>throughput mean during active<\/td><td>50,\d{3}(\.\d)? logs\/s<\/td><td>&gt;= 50,000 logs\/s<\/td><\/tr>/,
    );
    assert.match(
      body,
      /<tr class="simulated"><td>heap<\/td><td>mean<\/td><td>[\d.]+ MiB – [\d.]+ MiB \(3 series\)<\/td><td>simulated<\/td><\/tr>/,
    );
  });

  it("carries every workload's images and imageIDs into summary.json, null where the API server holds none", () => {
    const { report } = thymeReport({ images: IMAGES });
    assert.deepEqual(report.workloads, IMAGES);
    assert.match(
      report.imagesNote ?? '',
      /1 container image\(s\) have imageID null: the API server held none \(the local cloud's kwok nodes/,
    );
    const md = renderMarkdown(report);
    assert.match(
      md,
      /\| DaemonSet thyme-benchmark\/thyme \| thyme \| ghcr\.io\/example\/thyme:0\.4\.2 \| ghcr\.io\/example\/thyme@sha256:a{64} \| 2 \|/,
    );
    assert.match(
      md,
      /\| Deployment thyme-benchmark\/nop-collector \| otelcol \| otel\/opentelemetry-collector:0\.98\.0 \| null \(not reported\) \| 1 \|/,
    );
    const none = thymeReport().report;
    assert.equal(none.workloads, null);
    assert.equal(none.imagesNote, null);
    const resolved = thymeReport({ images: [IMAGES[0]!] }).report;
    assert.equal(resolved.imagesNote, null);
  });
});
