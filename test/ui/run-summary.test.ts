import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import type { RunResult } from '../../src/engine/run/run-benchmark.ts';
import { readRunFigures, runFigures } from '../../src/report/figures.ts';
import { formatRunResult } from '../../src/ui/format.ts';
import { thymeReport, thymeSuite, withGates } from '../report/fixture.ts';
import { tempDir } from '../helpers/tmp.ts';

function resultOf(figures: ReturnType<typeof runFigures>): RunResult {
  return {
    runId: 'thyme-20260301-120000-abcd',
    runDir: '/tmp/x',
    suite: 'thyme',
    target: 'sandbox',
    status: 'succeeded',
    phases: [],
    deployed: 12,
    placements: [],
    loadBalancers: {},
    teardown: undefined,
    cleanupCommand: undefined,
    report: { md: '/tmp/x/report.md', html: '/tmp/x/report.html', json: '/tmp/x/summary.json' },
    error: undefined,
    ...figures,
  };
}

describe('the end-of-run summary says what was measured', () => {
  it('shows each gate (value, threshold, outcome), each headline figure, and that the figures are simulated', () => {
    const suite = withGates(thymeSuite(), [
      ...thymeSuite().gates,
      { metric: 'cpu', phase: 'active', stat: 'max', op: '<=', value: 0.5 },
    ]);
    const { report } = thymeReport({ suite });
    const text = formatRunResult(resultOf(runFigures(report)));
    const lines = text.split('\n');
    assert.match(
      text,
      /^SIMULATED: Run on the local cloud \(target sandbox\): every series of this report comes from bench's own workload simulator/m,
    );
    assert.match(text, /^Gates: FAIL, 2 of 3 held$/m);
    assert.ok(
      lines.some((l) => /^PASS\s+throughput mean during active\s+50,\d{3}(\.\d)? logs\/s\s+>= 50,000 logs\/s$/.test(l)),
      text,
    );
    assert.ok(
      lines.some((l) => /^PASS\s+export_failures max during active\s+0 logs\/s\s+== 0 logs\/s$/.test(l)),
      text,
    );
    // Several series: the failing ones first, with their labels.
    assert.ok(
      lines.some((l) =>
        /^FAIL\s+cpu max during active\s+[\d.]+ cores \{instance="10\.0\.0\.\d:8888"\}.*<= 0\.5 cores$/.test(l),
      ),
      text,
    );
    assert.match(text, /^Headline figures \(active phase\):$/m);
    assert.ok(
      lines.some((l) => /^throughput\s+mean\s+50,\d{3}(\.\d)? logs\/s\s+simulated$/.test(l)),
      text,
    );
    assert.ok(
      lines.some((l) => /^heap\s+mean\s+[\d.]+ MiB – [\d.]+ MiB \(3 series\)\s+simulated$/.test(l)),
      text,
    );
  });

  it('carries the same in --json: gates and headlines from the final summary.json', () => {
    const { report } = thymeReport({ target: 'aws' });
    const dir = tempDir('bench-figures-');
    const path = join(dir, 'summary.json');
    writeFileSync(path, JSON.stringify(report));
    const figures = readRunFigures(path);
    assert.deepEqual(figures, JSON.parse(JSON.stringify(runFigures(report))));
    assert.equal(figures.simulated, null);
    assert.deepEqual(
      figures.gates.map((g) => [g.gate, g.outcome, g.threshold, g.thresholdText]),
      [
        ['throughput mean during active >= 50000', 'PASS', 50000, '>= 50,000 logs/s'],
        ['export_failures max during active == 0', 'PASS', 0, '== 0 logs/s'],
      ],
    );
    const tput = figures.headlines.find((h) => h.metric === 'throughput')!;
    assert.equal(tput.value, report.metrics[0]!.phases.active!.series[0]!.stats.mean);
    assert.equal(tput.simulated, false);
    const text = formatRunResult(resultOf(figures));
    assert.doesNotMatch(text, /SIMULATED|simulated/);
    assert.deepEqual(readRunFigures(join(dir, 'absent.json')), { gates: [], headlines: [], simulated: null });
  });
});
