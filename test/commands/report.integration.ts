import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { isAlive } from '../../src/adapters/processes.ts';
import { readJournal, type JournalRecord } from '../../src/run/journal.ts';
import { JOURNAL_FILE } from '../../src/run/run-dir.ts';
import { readRawMetrics } from '../../src/report/raw.ts';
import type { RunReport } from '../../src/report/model.ts';
import { sandboxBin } from '../harness/paths.ts';
import { eventually, startTestSandbox, type TestSandbox } from '../harness/sandbox.ts';
import { ROOT, runCli } from '../helpers/cli.ts';
import { chromium, chromiumBinary } from '../helpers/chromium.ts';
import { runStartedBy } from '../helpers/bench-process.ts';
import { tempDir } from '../helpers/tmp.ts';

describe('metrics, gates and reports of thyme-bench run on the local cloud', () => {
  let sb: TestSandbox;
  let env: NodeJS.ProcessEnv;
  const runsDir = tempDir('bench-runs-');
  const extraPids: number[] = [];
  const runs: Record<string, string> = {};

  before(async () => {
    // Its own cloud: a test stops its Prometheus and starts another in its place.
    sb = await startTestSandbox({ lbDeletionDelaySeconds: 2 });
    env = {
      BENCH_SANDBOX_DIR: sb.dir,
      BENCH_TOFU_BIN: sandboxBin('tofu'),
      BENCH_RUNS_DIR: runsDir,
      RAMPUP_MINUTES: '',
      COOLDOWN_MINUTES: '',
    };
  });
  after(async () => {
    for (const pid of extraPids) if (isAlive(pid)) process.kill(pid, 'SIGKILL');
    await sb?.stop();
  });

  const newestRun = (): string => readdirSync(runsDir).sort().at(-1) as string;
  const summary = (runId: string): RunReport =>
    JSON.parse(readFileSync(join(runsDir, runId, 'summary.json'), 'utf8')) as RunReport;
  const activeMean = (report: RunReport, metric: string): number | null | undefined =>
    report.metrics.find((m) => m.name === metric)?.phases.active?.series[0]?.stats.mean;

  it('measures the active-phase throughput at 20 x 2,500 = 50,000 logs/s within 2%, and the gates pass', () => {
    const r = runCli(
      'thyme-bench',
      ['run', '--target', 'sandbox', '--ramp', '20s', '--active', '60s', '--cooldown', '10s', '--junit'],
      { env, timeoutMs: 300_000 },
    );
    assert.equal(r.status, 0, r.stdout + r.stderr.slice(-3000));
    const runId = newestRun();
    runs.full = runId;
    const report = summary(runId);
    const throughput = activeMean(report, 'throughput') as number;
    assert.ok(Math.abs(throughput - 50_000) / 50_000 <= 0.02, `active throughput ${throughput}`);
    assert.deepEqual(
      report.gates.map((g) => [g.metric, g.ok]),
      [
        ['throughput', true],
        ['export_failures', true],
      ],
    );
    // Raw data is stored, compressed, for every metric; the rendered files are there too.
    const raw = readRawMetrics(join(runsDir, runId));
    assert.deepEqual([...raw.keys()].sort(), ['cpu', 'export_failures', 'heap', 'throughput']);
    assert.ok(readdirSync(join(runsDir, runId, 'raw')).every((f) => f.endsWith('.json.gz')));
    for (const f of ['report.md', 'report.html', 'summary.json', 'junit.xml'])
      assert.ok(existsSync(join(runsDir, runId, f)), f);
    assert.match(
      r.stdout,
      new RegExp(`Report: ${join(runsDir, runId, 'report.md').replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`),
    );
    // The report is written before teardown starts.
    const records = readJournal(join(runsDir, runId, JOURNAL_FILE)).records;
    const reportEnd = records.find((x) => x.type === 'phase-end' && x.phase === 'report');
    const teardownStart = records.find((x) => x.type === 'phase-start' && x.phase === 'teardown');
    assert.ok(reportEnd && teardownStart && Date.parse(reportEnd.t) <= Date.parse(teardownStart.t));
    assert.match(readFileSync(join(runsDir, runId, 'junit.xml'), 'utf8'), /<testcase[^>]*throughput/);
    // CPU is reported per collector instance: Thyme on each of the 3 nodes, and the nop-collector.
    const cpu = report.metrics.find((m) => m.name === 'cpu')?.phases.active?.series ?? [];
    assert.equal(
      cpu.filter((x) => /compute\.internal$/.test(x.labels.instance ?? '')).length,
      3,
      JSON.stringify(cpu.map((x) => x.labels)),
    );
  });

  it('a gate that cannot hold: exit 4, and the report names the gate, the value and the threshold', () => {
    // 20 generators at 1,000 logs/s make 20,000 logs/s, far from the 50,000 the gate wants.
    const r = runCli(
      'thyme-bench',
      [
        'run',
        '--target',
        'sandbox',
        '--ramp',
        '0',
        '--active',
        '30s',
        '--cooldown',
        '0',
        '--set',
        'logsPerSecond=1000',
      ],
      { env, timeoutMs: 300_000 },
    );
    assert.equal(r.status, 4, r.stdout + r.stderr.slice(-3000));
    assert.match(r.stderr, /Error: 1 of 2 gates did not hold:\n.*throughput mean during active >= 50000/);
    assert.match(r.stderr, /report: .*report\.md/);
    const runId = newestRun();
    runs.low = runId;
    const report = summary(runId);
    const gate = report.gates.find((g) => g.metric === 'throughput');
    assert.equal(gate?.ok, false);
    const value = gate?.results[0]?.value as number;
    assert.ok(Math.abs(value - 20_000) / 20_000 <= 0.02, `value ${value}`);
    const md = readFileSync(join(runsDir, runId, 'report.md'), 'utf8');
    assert.match(md, /FAIL/);
    assert.match(md, /50[,.]?000/);
    // It still tore down.
    const records = readJournal(join(runsDir, runId, JOURNAL_FILE)).records;
    assert.ok(records.some((x) => x.type === 'phase-end' && x.phase === 'teardown' && x.ok));
    const end = records.at(-1);
    assert.ok(end?.type === 'run-end' && end.exitCode === 4 && end.status === 'failed');
    // The first report, written before teardown, already said failed; the final one knows the end.
    const written = records.find((x) => x.type === 'note' && x.message === 'report written');
    const teardownStart = records.find((x) => x.type === 'phase-start' && x.phase === 'teardown');
    assert.ok(written && teardownStart && Date.parse(written.t) <= Date.parse(teardownStart.t));
    assert.equal(written.type === 'note' && written.data?.status, 'failed');
    assert.equal(report.run.status, 'failed');
    assert.equal(report.run.endedAt, end.t);
    assert.match(md, /\|\s*status\s*\|\s*failed\s*\|/);
    const listed = JSON.parse(runCli('bench', ['list', '--json'], { env }).stdout) as {
      runs: { runId: string; status: string; aliveResources: unknown[] }[];
    };
    const run = listed.runs.find((x) => x.runId === runId);
    assert.equal(run?.status, 'failed');
    assert.deepEqual(run?.aliveResources, []);
  });

  it('Prometheus stopped during collect: journal and raw data kept, the report says what is missing, exit 3; `bench report` completes once it is back', async () => {
    const prometheus = sb.status.parts.find((p) => p.part === 'prometheus');
    const pid = prometheus?.pid as number;
    const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean);
    const child = spawn(
      process.execPath,
      [
        join(ROOT, 'bin/thyme-bench'),
        'run',
        '--target',
        'sandbox',
        '--ramp',
        '10s',
        '--active',
        '30s',
        '--cooldown',
        '10s',
      ],
      {
        env: { ...process.env, ...env },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    const journalOf = (runId: string): JournalRecord[] => readJournal(join(runsDir, runId, JOURNAL_FILE)).records;
    const runId = await eventually('the run appears', async () => runStartedBy(runsDir, child.pid), 60_000);
    // The active phase is fully scraped; Prometheus goes away during the cool-down, before collect.
    await eventually(
      'the cool-down started',
      async () => journalOf(runId).some((x) => x.type === 'phase-start' && x.phase === 'cooldown'),
      180_000,
      200,
    );
    process.kill(pid, 'SIGTERM');
    await eventually('Prometheus stopped', async () => !isAlive(pid), 30_000);
    const code = await exited;
    assert.equal(code, 3, stderr.slice(-3000));
    assert.match(stderr, /lacks 4 metric\(s\)/);
    const records = journalOf(runId);
    assert.ok(records.some((x) => x.type === 'phase-end' && x.phase === 'collect' && !x.ok));
    const md = readFileSync(join(runsDir, runId, 'report.md'), 'utf8');
    assert.match(md, /Missing data/i);
    assert.match(md, /throughput/);
    assert.ok(
      readRawMetrics(join(runsDir, runId)).get('throughput')?.missing,
      'the raw file records why it is missing',
    );

    // Prometheus comes back (same storage): the report completes from the stored journal.
    const again = spawn(cmdline[0] as string, cmdline.slice(1), { detached: true, stdio: 'ignore' });
    extraPids.push(again.pid as number);
    again.unref();
    await eventually(
      'Prometheus is back',
      async () => (await fetch(`${sb.env.BENCH_PROMETHEUS_URL}/-/ready`)).ok,
      30_000,
      250,
    );
    const r = runCli('bench', ['report', runId, '--json'], { env });
    assert.equal(r.status, 0, r.stdout + r.stderr);
    const body = JSON.parse(r.stdout) as { recollected: string[]; report: RunReport };
    assert.deepEqual(body.recollected.sort(), ['cpu', 'export_failures', 'heap', 'throughput']);
    assert.deepEqual(body.report.missing, []);
    const throughput = activeMean(body.report, 'throughput') as number;
    assert.ok(Math.abs(throughput - 50_000) / 50_000 <= 0.02, `active throughput ${throughput}`);
  });

  it('`bench report <run-a> <run-b>` compares the runs metric by metric with the uncertainty of each difference', () => {
    const out = join(tempDir('bench-compare-'), 'cmp');
    const r = runCli('bench', ['report', runs.full as string, runs.low as string, '--out', out, '--json'], { env });
    assert.equal(r.status, 0, r.stdout + r.stderr);
    const body = JSON.parse(r.stdout) as { files: { md: string; html: string; json: string } };
    for (const f of Object.values(body.files)) assert.ok(existsSync(f), f);
    const md = readFileSync(body.files.md, 'utf8');
    assert.match(md, /throughput/);
    assert.match(md, /-60(\.\d)?\s?%|−60(\.\d)?\s?%/);
  });

  it('report.html opens in headless Chromium and shows a chart per metric (screenshot in test-output/)', () => {
    const html = join(runsDir, runs.full as string, 'report.html');
    const dir = tempDir('bench-chromium-');
    const binary = chromiumBinary();
    const dom = chromium(binary, dir, 'dom', ['--dump-dom', `file://${html}`]);
    const svgs = dom.match(/<svg[\s\S]*?<\/svg>/g) ?? [];
    assert.ok(svgs.length >= 4, `${svgs.length} charts`);
    assert.ok(
      svgs.every((svg) => /<path[^>]+d="M/.test(svg)),
      'every chart has drawn lines',
    );
    mkdirSync(join(ROOT, 'test-output'), { recursive: true });
    const png = join(ROOT, 'test-output', 'run-report-screenshot.png');
    chromium(binary, dir, 'screenshot', [`--screenshot=${png}`, '--window-size=1280,2400', `file://${html}`]);
    assert.ok(statSync(png).size > 20_000, 'the screenshot is not a blank page');
    console.log(`report.html screenshot: ${png}`);
  });
});
