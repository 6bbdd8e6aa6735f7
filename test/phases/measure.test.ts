import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, it } from 'node:test';
import {
  comparisonMetrics,
  parseWorkloadLog,
  readTrialSamples,
  trialDir,
  workloadPods,
  type TrialMeta,
} from '../../src/phases/measure.ts';
import { loadSuite } from '../../src/suite/load.ts';
import { tempDir } from '../helpers/tmp.ts';

/** What the seed's cache-workload prints with --output=/dev/stdout (its header, rows, progress, summary). */
const LOG = `━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━
Koorde Cache Workload Generator
Targets: http://dht-cache-http.koorde-dht.svc.cluster.local:80
URLs: 1000
Requests: 10000
Rate: 100.00 req/sec
Zipf: 1.20
━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━
timestamp,url_id,latency_ms,status,cache_status,node_id
2026-11-21T10:00:00Z,17,5.42,200,HIT,0xaa
2026-11-21T10:00:01Z,3,7.10,200,MISS,0xbb
2026-11-21T10:00:01Z,3,6.00,200,HIT,0xbb
Progress: 100/10000 (1.0%)
2026-11-21T10:00:02Z,9,9.99,503,,
2026-11-21T10:00:03Z,1,4.00,200,HIT,0xcc
2026-11-21T10:00:09Z,1,4.00,200,HIT,0xcc

━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━
Summary:
  Total: 6
  Success: 6 (100.0%)
`;

describe('the workload output and the trials raw data', () => {
  it('parses the request rows of the workload log and skips everything else', () => {
    const rows = parseWorkloadLog(LOG);
    assert.equal(rows.length, 6);
    assert.deepEqual(rows[0], {
      t: Date.parse('2026-11-21T10:00:00Z') / 1000,
      urlId: 17,
      latencyMs: 5.42,
      status: 200,
      cacheStatus: 'HIT',
      nodeId: '0xaa',
    });
    assert.equal(rows[3]?.status, 503);
  });

  it("makes one metric per aggregate of the suite's workload and pod metrics", () => {
    const { suite } = loadSuite('koorde');
    const ids = comparisonMetrics(suite).map((m) => [m.id, m.estimator.kind, m.better]);
    assert.deepEqual(ids, [
      ['latency.p50', 'quantile', 'lower'],
      ['latency.p95', 'quantile', 'lower'],
      ['latency.p99', 'quantile', 'lower'],
      ['latency.mean', 'mean', 'lower'],
      ['throughput.mean', 'mean', 'higher'],
      ['errors.mean', 'mean', 'lower'],
      ['hit_rate.mean', 'mean', 'higher'],
      ['de_bruijn_success.last', 'value', undefined],
      ['de_bruijn_failures.last', 'value', undefined],
      ['successor_fallbacks.last', 'value', undefined],
    ]);
  });

  it("finds the workload pods by the Job template's labels", () => {
    const job = {
      apiVersion: 'batch/v1',
      kind: 'Job',
      metadata: { name: 'cache-workload', namespace: 'koorde-dht' },
      spec: {
        template: {
          metadata: { labels: { app: 'cache-workload' } },
          spec: { containers: [{ name: 'cache-workload' }] },
        },
      },
    };
    assert.deepEqual(workloadPods([job]), [{ selector: { app: 'cache-workload' }, containers: ['cache-workload'] }]);
  });

  it('turns a trial directory into units: only whole seconds inside the window count', () => {
    const { suite } = loadSuite('koorde');
    const metrics = comparisonMetrics(suite);
    const runDir = tempDir();
    const meta: TrialMeta = {
      arm: 'koorde',
      namespace: 'koorde-dht',
      size: 8,
      repetition: 1,
      order: 2,
      // 10:00:00.5 .. 10:00:04.2: the whole seconds 01, 02 and 03.
      window: { start: '2026-11-21T10:00:00.500Z', end: '2026-11-21T10:00:04.200Z' },
    };
    const dir = trialDir(runDir, meta);
    mkdirSync(join(dir, 'workload'), { recursive: true });
    writeFileSync(join(dir, 'trial.json'), JSON.stringify(meta));
    writeFileSync(join(dir, 'workload', 'cache-workload-t2-3-abc.cache-workload.log.gz'), gzipSync(LOG));
    const pods = (success: number, fallbacks: number) => ({
      at: '',
      endpoints: {
        [`8080/metrics ${JSON.stringify({ app: 'dht-node' })}`]: {
          'dht-node-0': {
            value: { routing: { stats: { de_bruijn_success: success, successor_fallbacks: fallbacks } } },
          },
          'dht-node-1': { error: 'HTTP 503' },
        },
      },
    });
    writeFileSync(join(dir, 'pod-metrics-start.json.gz'), gzipSync(JSON.stringify(pods(100, 7))));
    // successor_fallbacks went down: the pod restarted, so its increase counts from zero.
    writeFileSync(join(dir, 'pod-metrics-end.json.gz'), gzipSync(JSON.stringify(pods(160, 3))));
    const [trial] = readTrialSamples(runDir, suite, metrics);
    assert.ok(trial);
    assert.equal(trial.arm, 'koorde');
    assert.deepEqual(trial.units['latency.p95'], [7.1, 6, 4]);
    assert.deepEqual(trial.units['throughput.mean'], [2, 0, 1]);
    assert.deepEqual(trial.units['errors.mean'], [0, 1, 0]);
    assert.deepEqual(trial.units['hit_rate.mean'], [0, 1, 1]);
    assert.deepEqual(trial.units['de_bruijn_success.last'], [60]);
    assert.deepEqual(trial.units['successor_fallbacks.last'], [3]);
    assert.match(trial.missing?.['de_bruijn_failures.last'] ?? '', /has the field routing.stats.de_bruijn_failures/);
  });
});
