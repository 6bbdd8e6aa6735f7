import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { ExitCode } from '../../src/errors.ts';
import { failedGates, gateFailure, SUMMARY_SCHEMA_VERSION } from '../../src/report/model.ts';
import { ROOT } from '../helpers/cli.ts';
import { comparisonReport } from './variant-comparison-fixture.ts';
import { thymeRaw, thymeReport, thymeSuite, withGates } from './fixture.ts';

describe('report model', () => {
  it('computes each phase of each metric with the suite’s statistics', () => {
    const { report } = thymeReport();
    assert.equal(report.schemaVersion, SUMMARY_SCHEMA_VERSION);
    assert.deepEqual(
      report.phases.map((p) => p.phase),
      ['ramp', 'active', 'cooldown'],
    );
    assert.deepEqual(
      report.metrics.map((m) => m.name),
      ['throughput', 'export_failures', 'cpu', 'heap'],
    );
    const throughput = report.metrics[0]!;
    assert.deepEqual(throughput.aggregate, ['mean', 'min', 'max', 'p50', 'p95', 'p99', 'cv']);
    const active = throughput.phases.active!.series[0]!;
    // 80 s at 1 s, less the first 5 s: the query's rate over [5s] still describes the ramp there.
    assert.equal(active.samples, 75);
    assert.ok(Math.abs(active.stats.mean! - 50_500) < 200, `active mean ${active.stats.mean}`);
    // The ramp rises from 0 over 20 s; samples 5..19 s count: the mean is 12/20 of the level.
    const ramp = throughput.phases.ramp!.series[0]!;
    assert.equal(ramp.samples, 15);
    assert.ok(Math.abs(ramp.stats.mean! - 50_500 * 0.6) < 1e-6, `ramp mean ${ramp.stats.mean}`);
    // Without a range selector (the heap gauge) nothing is trimmed.
    assert.equal(report.metrics[3]!.phases.active!.series[0]!.samples, 80);
    assert.equal(report.metrics[2]!.phases.active!.series.length, 3);
    assert.deepEqual(report.missing, []);
  });

  it('passes the gates of a run that meets them', () => {
    const { report } = thymeReport();
    assert.deepEqual(
      report.gates.map((g) => [g.metric, g.ok, g.missing]),
      [
        ['throughput', true, false],
        ['export_failures', true, false],
      ],
    );
    assert.deepEqual(failedGates(report), []);
    assert.equal(gateFailure(report), undefined);
  });

  it('fails a gate that does not hold, naming the gate, value and threshold', () => {
    const { report } = thymeReport({ raw: thymeRaw({ level: 45_000 }) });
    const failed = failedGates(report);
    assert.equal(failed.length, 1);
    const gate = failed[0]!;
    assert.equal(gate.metric, 'throughput');
    assert.equal(gate.ok, false);
    assert.equal(gate.missing, false);
    assert.equal(gate.threshold, 50_000);
    assert.ok(gate.results[0]!.value! < 50_000);
    assert.match(gate.reason!, /mean \d+(\.\d+)? is not >= 50000/);
    const error = gateFailure(report)!;
    assert.equal(error.exitCode, ExitCode.gate);
    assert.match(error.message, /throughput mean during active >= 50000: failed \(\(all\): mean 4\d{4}/);
  });

  it('fails a gate on a metric with no data as missing, never passing it', () => {
    const raw = thymeRaw();
    raw.delete('throughput');
    raw.set('export_failures', { ...raw.get('export_failures')!, series: [], missing: 'Prometheus stopped' });
    const { report } = thymeReport({ raw });
    assert.deepEqual(report.missing, ['throughput', 'export_failures']);
    assert.equal(report.metrics[1]!.missing, 'Prometheus stopped');
    for (const gate of report.gates) {
      assert.equal(gate.ok, false);
      assert.equal(gate.missing, true);
    }
    assert.match(report.gates[1]!.reason!, /Prometheus stopped/);
    assert.match(gateFailure(report)!.message, /2 of 2 gates did not hold/);
  });

  it('fails a gate as missing when the window holds no sample', () => {
    const raw = thymeRaw();
    const throughput = raw.get('throughput')!;
    // Samples only during the ramp: nothing in the active window.
    throughput.series[0]!.samples = throughput.series[0]!.samples.slice(0, 20);
    const { report } = thymeReport({ raw });
    assert.equal(report.metrics[0]!.missing, undefined);
    assert.deepEqual(report.metrics[0]!.phases.active, { series: [] });
    assert.deepEqual([report.gates[0]!.ok, report.gates[0]!.missing], [false, true]);
    assert.match(report.gates[0]!.reason!, /no sample of 'throughput' inside the active window/);
  });

  it('fails a multi-series gate when one series breaks it', () => {
    const suite = withGates(thymeSuite(), [
      { metric: 'cpu', phase: 'active', stat: 'max', op: '<=', value: 0.9, description: 'cores per collector' },
      { metric: 'cpu', phase: 'active', stat: 'max', op: '<=', value: 2 },
      // p99 is not among cpu's aggregates: computed for the gate anyway.
      { metric: 'cpu', phase: 'active', stat: 'p99', op: '<', value: 2 },
    ]);
    const { report } = thymeReport({ suite });
    const [tight, loose, p99] = report.gates;
    assert.equal(tight!.ok, false);
    assert.equal(tight!.missing, false);
    assert.deepEqual(
      tight!.results.map((r) => r.ok),
      [true, true, false],
    );
    assert.match(tight!.reason!, /instance="10\.0\.0\.3:8888"/);
    assert.doesNotMatch(tight!.reason!, /10\.0\.0\.1/);
    assert.equal(loose!.ok, true);
    assert.equal(p99!.ok, true);
    assert.equal(p99!.results.length, 3);
    assert.ok(!report.metrics[2]!.aggregate.includes('p99'));
  });

  it('fails a gate when one series has no usable value (all NaN)', () => {
    const raw = thymeRaw();
    const cpu = raw.get('cpu')!;
    cpu.series[1]!.samples = cpu.series[1]!.samples.map(([t]) => [t, NaN]);
    const suite = withGates(thymeSuite(), [{ metric: 'cpu', phase: 'active', stat: 'max', op: '<=', value: 5 }]);
    const gate = thymeReport({ suite, raw }).report.gates[0]!;
    assert.deepEqual(
      gate.results.map((r) => r.value === null),
      [false, true, false],
    );
    assert.deepEqual([gate.ok, gate.missing], [false, false]);
  });

  it('supports every operator', () => {
    const gate = (op: '>=' | '<=' | '>' | '<' | '==', value: number) =>
      thymeReport({
        suite: withGates(thymeSuite(), [{ metric: 'export_failures', phase: 'active', stat: 'max', op, value }]),
      }).report.gates[0]!.ok;
    assert.deepEqual(
      [gate('==', 0), gate('==', 1), gate('>=', 0), gate('>', 0), gate('<', 1), gate('<=', -1)],
      [true, false, true, false, true, false],
    );
  });

  it('round-trips through JSON unchanged (summary.json is the model)', () => {
    const { report } = thymeReport();
    assert.deepEqual(JSON.parse(JSON.stringify(report)), report);
  });

  it('documents every field of summary.json in docs/summary-json.md', () => {
    const doc = readFileSync(join(ROOT, 'docs', 'summary-json.md'), 'utf8');
    const raw = thymeRaw();
    raw.set('heap', { ...raw.get('heap')!, series: [], missing: 'x' });
    const { report } = thymeReport({
      raw,
      images: [
        {
          kind: 'DaemonSet',
          namespace: 'thyme-benchmark',
          name: 'thyme',
          images: [{ container: 'thyme', init: false, image: 'thyme:1', imageID: null, pods: ['thyme-1'] }],
        },
      ],
    });
    const keys = new Set<string>();
    const walk = (value: unknown, key?: string) => {
      // Maps whose keys are data (label names, parameter names, arm names, metric ids), not fields.
      if (key !== undefined && ['labels', 'params', 'armParams', 'windows', 'units'].includes(key)) return;
      if (key === 'missing' && value && typeof value === 'object' && !Array.isArray(value)) return;
      if (Array.isArray(value)) value.forEach((v) => walk(v));
      else if (value && typeof value === 'object') {
        for (const [k, v] of Object.entries(value)) {
          keys.add(k);
          walk(v, k);
        }
      }
    };
    walk(report);
    // A comparison run's summary.json too.
    walk(comparisonReport());
    const undocumented = [...keys].filter((k) => !doc.includes(`\`${k}\``) && !doc.includes(`"${k}"`));
    assert.deepEqual(undocumented, []);
    assert.match(doc, /schemaVersion/);
  });
});
