import assert from 'node:assert/strict';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { gunzipSync } from 'node:zlib';
import { phaseWindows, RAW_DIR, rawMetricPath, readRawMetrics, writeRawMetric } from '../../src/report/raw.ts';
import { Journal, readJournal, type JournalRecord } from '../../src/run/journal.ts';
import { tempDir } from '../helpers/tmp.ts';
import { thymeRaw } from './fixture.ts';

describe('raw metric files', () => {
  it('writes gzip JSON atomically and reads every metric back', () => {
    const runDir = tempDir();
    const raw = thymeRaw();
    for (const metric of raw.values()) writeRawMetric(runDir, metric);
    // Only the finished files: no temporary file is left behind.
    assert.deepEqual(readdirSync(join(runDir, RAW_DIR)).sort(), [
      'cpu.json.gz',
      'export_failures.json.gz',
      'heap.json.gz',
      'throughput.json.gz',
    ]);
    const onDisk = JSON.parse(gunzipSync(readFileSync(rawMetricPath(runDir, 'cpu'))).toString('utf8')) as {
      metric: string;
    };
    assert.equal(onDisk.metric, 'cpu');
    assert.deepEqual(readRawMetrics(runDir), raw);
  });

  it('replaces an existing file as a whole', () => {
    const runDir = tempDir();
    const first = thymeRaw().get('throughput')!;
    writeRawMetric(runDir, first);
    writeRawMetric(runDir, { ...first, series: [], missing: 'Prometheus stopped' });
    const read = readRawMetrics(runDir).get('throughput');
    assert.equal(read?.missing, 'Prometheus stopped');
    assert.deepEqual(read?.series, []);
  });

  it('keeps the NaN and infinite samples as JSON null, for the statistics to drop', () => {
    const runDir = tempDir();
    const raw = thymeRaw().get('throughput')!;
    raw.series[0]!.samples[30] = [raw.series[0]!.samples[30]![0], NaN];
    writeRawMetric(runDir, raw);
    const read = readRawMetrics(runDir).get('throughput')!;
    assert.equal(read.series[0]!.samples[30]![1], null);
  });

  it('gives an empty map for a run without raw data', () => {
    assert.equal(readRawMetrics(tempDir()).size, 0);
  });

  it('turns an unreadable file into a missing metric that says why', () => {
    const runDir = tempDir();
    mkdirSync(join(runDir, RAW_DIR));
    writeFileSync(join(runDir, RAW_DIR, 'heap.json.gz'), 'not gzip');
    const heap = readRawMetrics(runDir).get('heap');
    assert.ok(heap?.missing?.includes('raw/heap.json.gz is unreadable'), heap?.missing);
    assert.deepEqual(heap?.series, []);
  });

  it('refuses a metric name that is not a plain file name', () => {
    assert.throws(() => rawMetricPath('/tmp', '../escape'), /cannot be used as a file name/);
  });
});

const at = (s: number) => new Date(Date.UTC(2026, 2, 1, 12, 0, s)).toISOString();
const rec = (s: number, r: Record<string, unknown>) => ({ t: at(s), ...r }) as JournalRecord;

describe('phase windows', () => {
  it('reads ramp, active and cool-down from a journal written by Journal', async () => {
    const path = join(tempDir(), 'journal');
    const journal = Journal.open(path);
    journal.append({ type: 'run-start', runId: 'r', suite: 'thyme', target: 'sandbox', pid: 1, host: 'h' });
    journal.append({ type: 'phase-start', phase: 'deploy' });
    journal.append({ type: 'phase-end', phase: 'deploy', ok: true });
    for (const phase of ['ramp', 'active', 'cooldown']) {
      journal.append({ type: 'phase-start', phase });
      journal.append({ type: 'note', phase, message: 'planned', data: { plannedSeconds: 1 } });
      await new Promise((resolve) => setTimeout(resolve, 5));
      journal.append({ type: 'phase-end', phase, ok: true });
    }
    journal.append({ type: 'phase-start', phase: 'collect' });
    journal.close();
    const { records } = readJournal(path);
    const windows = phaseWindows(records);
    assert.deepEqual(
      windows.map((w) => w.phase),
      ['ramp', 'active', 'cooldown'],
    );
    for (const w of windows) {
      const start = records.find((r) => r.type === 'phase-start' && r.phase === w.phase)!;
      const end = records.find((r) => r.type === 'phase-end' && r.phase === w.phase)!;
      assert.deepEqual(w, { phase: w.phase, start: start.t, end: end.t, endSource: 'recorded' });
      assert.ok(Date.parse(w.end) > Date.parse(w.start));
    }
  });

  it('uses the last start/end pair of a phase run twice', () => {
    const windows = phaseWindows([
      rec(0, { type: 'phase-start', phase: 'ramp' }),
      rec(5, { type: 'phase-end', phase: 'ramp', ok: false }),
      rec(10, { type: 'phase-start', phase: 'ramp' }),
      rec(30, { type: 'phase-end', phase: 'ramp', ok: true }),
    ]);
    assert.deepEqual(windows, [{ phase: 'ramp', start: at(10), end: at(30), endSource: 'recorded' }]);
  });

  it('ends a phase without an end at its start + planned seconds (a crash mid-phase)', () => {
    const windows = phaseWindows([
      rec(0, { type: 'phase-start', phase: 'ramp' }),
      rec(0, { type: 'note', phase: 'ramp', message: 'planned', data: { plannedSeconds: 20 } }),
      rec(20, { type: 'phase-end', phase: 'ramp', ok: true }),
      rec(20, { type: 'phase-start', phase: 'active' }),
      rec(20, { type: 'note', phase: 'active', message: 'planned', data: { plannedSeconds: 30 } }),
      rec(25, { type: 'action', phase: 'active', action: 'scale' }),
    ]);
    assert.deepEqual(windows[1], { phase: 'active', start: at(20), end: at(50), endSource: 'planned' });
  });

  it('never lets a planned end run past the next phase start', () => {
    const windows = phaseWindows([
      rec(0, { type: 'phase-start', phase: 'active', planned: { plannedSeconds: 60 } }),
      rec(10, { type: 'phase-start', phase: 'cooldown' }),
      rec(15, { type: 'phase-end', phase: 'cooldown', ok: true }),
    ]);
    assert.deepEqual(windows[0], { phase: 'active', start: at(0), end: at(10), endSource: 'planned' });
  });

  it('without an end or a plan, ends at the next record not about the phase', () => {
    const windows = phaseWindows([
      rec(0, { type: 'phase-start', phase: 'cooldown' }),
      rec(3, { type: 'action', phase: 'cooldown', action: 'scale' }),
      rec(4, { type: 'resource-deleted', resource: { kind: 'job', id: 'w' } }),
      rec(9, { type: 'error', phase: 'run', code: 'E_X', message: 'boom' }),
      rec(12, { type: 'run-end', status: 'failed', exitCode: 3 }),
    ]);
    assert.deepEqual(windows, [{ phase: 'cooldown', start: at(0), end: at(9), endSource: 'inferred' }]);
    const last = phaseWindows([
      rec(0, { type: 'phase-start', phase: 'ramp' }),
      rec(7, { type: 'action', phase: 'ramp', action: 'scale' }),
    ]);
    assert.deepEqual(last, [{ phase: 'ramp', start: at(0), end: at(7), endSource: 'inferred' }]);
  });

  it('leaves out phases that never started and ignores other phases', () => {
    assert.deepEqual(phaseWindows([rec(0, { type: 'phase-start', phase: 'provision' })]), []);
  });
});
