import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SuiteError, UsageError } from '../../src/errors.ts';
import { listBuiltInSuites, loadSuite } from '../../src/suite/load.ts';
import { resolveParams, resolveQuery } from '../../src/suite/render.ts';
import { copySuite, THYME_MANIFESTS_HEAD } from '../helpers/suite-fixture.ts';
import { tempDir } from '../helpers/tmp.ts';

function suiteIssues(err: unknown): { path: string; line: number | undefined; message: string }[] {
  assert.ok(err instanceof SuiteError, `expected a SuiteError, got ${String(err)}`);
  return (err.data?.issues ?? []) as { path: string; line: number | undefined; message: string }[];
}

function catchError(fn: () => unknown): unknown {
  try {
    fn();
  } catch (err) {
    return err;
  }
  assert.fail('expected an error');
}

describe('built-in suites', () => {
  it('are thyme and koorde, and both validate', () => {
    assert.deepEqual(listBuiltInSuites(), ['koorde', 'thyme']);
    for (const name of listBuiltInSuites()) assert.equal(loadSuite(name).suite.name, name);
  });

  it("carry the Thyme seed's numbers", () => {
    const { suite } = loadSuite('thyme');
    assert.equal(suite.targets.aws?.region, 'eu-central-1');
    assert.equal(suite.targets.aws?.variables.kubernetes_version, '1.34');
    assert.equal(suite.targets.aws?.variables.node_instance_type, 'm6i.2xlarge');
    assert.equal(suite.targets.aws?.variables.node_count, 3);
    assert.equal(suite.params.logGenerators?.default, 20);
    assert.equal(suite.params.logsPerSecond?.default, 2500);
    assert.deepEqual(
      [suite.phases.ramp.duration, suite.phases.active.duration, suite.phases.cooldown.duration],
      [300, 1800, 600],
    );
    // On AWS the queries are the seed's, with 1m rate windows (the local cloud uses 5s).
    const awsParams = resolveParams(suite, 'aws');
    const queries = suite.metrics.map((m) => resolveQuery(m.query ?? '', awsParams));
    assert.ok(
      suite.metrics.every(
        (m) => m.query === undefined || !resolveQuery(m.query, resolveParams(suite, 'sandbox')).includes('[1m]'),
      ),
    );
    assert.ok(
      queries.some((q) =>
        q.includes('rate(otelcol_receiver_accepted_log_records_total{service_name="nop-collector"}[1m])'),
      ),
    );
    assert.ok(queries.some((q) => q.includes('rate(otelcol_exporter_send_failed_log_records_total[1m])')));
    assert.ok(queries.includes('sum by (instance) (rate(otelcol_process_cpu_seconds_total[1m]))'));
    assert.ok(queries.includes('otelcol_process_runtime_heap_alloc_bytes'));
    assert.deepEqual(
      suite.gates.map((g) => [g.metric, g.phase, g.op, g.value]),
      [
        ['throughput', 'active', '>=', 50000],
        ['export_failures', 'active', '==', 0],
      ],
    );
  });

  it("carry the Koorde seed's numbers", () => {
    const { suite } = loadSuite('koorde');
    assert.equal(suite.targets.aws?.region, 'us-west-2');
    assert.deepEqual(
      Object.entries(suite.variants ?? {}).map(([n, v]) => [n, v.namespace]),
      [
        ['chord', 'chord-dht'],
        ['koorde', 'koorde-dht'],
      ],
    );
    const d = (name: string) => suite.params[name]?.default;
    assert.deepEqual(
      [
        d('idBits'),
        d('debruijnDegree'),
        d('successorListSize'),
        d('stabilizationInterval'),
        d('failureTimeout'),
        d('cacheCapacityMb'),
      ],
      [66, 8, 8, '2s', '1s', 2048],
    );
    assert.deepEqual([d('urls'), d('requests'), d('rate'), d('zipf')], [1000, 10000, 100, 1.2]);
    assert.ok((suite.sweep?.values.length ?? 0) >= 2);
  });
});

describe('loadSuite errors', () => {
  it('names the file, the line, the field path and the fix for a schema violation', () => {
    const dir = copySuite('thyme', (y) => y.replace('duration: 30m', 'duration: 30x'));
    let caught: unknown;
    try {
      loadSuite(dir);
    } catch (err) {
      caught = err;
    }
    const issues = suiteIssues(caught);
    const issue = issues.find((i) => i.path === 'phases.active.duration');
    assert.ok(issue, JSON.stringify(issues));
    assert.ok(issue.line !== undefined && issue.line > 1);
    const err = caught as SuiteError;
    assert.equal(err.exitCode, 2);
    assert.match(err.message, /suite\.yaml:\d+:\d+: phases\.active\.duration: '30x' is not a duration/);
    assert.match(err.fix ?? '', /edit .*suite\.yaml/);
  });

  it('reports a misspelt field and a missing field together', () => {
    const dir = copySuite('thyme', (y) =>
      y.replace('apiVersion: bench/v1', 'apiVersion: bench/v1\nmetrix: []').replace(/\ndescription: [^\n]*/, '\n'),
    );
    const byPath = Object.fromEntries(suiteIssues(catchError(() => loadSuite(dir))).map((i) => [i.path, i.message]));
    assert.match(byPath[''] ?? '', /unknown field 'metrix'/);
    assert.match(byPath['description'] ?? '', /required field is missing/);
  });

  it('checks references across the file: gates name declared metrics, overlays declared params', () => {
    const gate = copySuite('thyme', (y) => y.replace('- metric: throughput', '- metric: thruput'));
    const gateIssues = suiteIssues(catchError(() => loadSuite(gate)));
    assert.match(
      gateIssues.find((i) => i.path === 'gates.0.metric')?.message ?? '',
      /'thruput', which is not declared/,
    );
    const param = copySuite('thyme', (y) =>
      y.replace(THYME_MANIFESTS_HEAD, 'manifests:\n  overlays:\n    aws:\n      params: { logGenertors: 5 }\n  base:'),
    );
    const paramIssues = suiteIssues(catchError(() => loadSuite(param)));
    assert.match(
      paramIssues.find((i) => i.path === 'manifests.overlays.aws.params.logGenertors')?.message ?? '',
      /not declared under params/,
    );
  });

  it('locates YAML syntax errors', () => {
    const dir = copySuite('thyme', (y) => y.replace('name: thyme\n', 'name: [thyme\n'));
    assert.throws(
      () => loadSuite(dir),
      (err: unknown) =>
        err instanceof SuiteError && /not valid YAML/.test(err.message) && /suite\.yaml:\d+:\d+/.test(err.message),
    );
  });

  it('refuses an unknown suite name and a directory that does not exist', () => {
    assert.throws(
      () => loadSuite('nosuch'),
      (err: unknown) =>
        err instanceof UsageError && err.code === 'E_SUITE_UNKNOWN' && /koorde, thyme/.test(err.fix ?? ''),
    );
    assert.throws(
      () => loadSuite('./does/not/exist'),
      (err: unknown) => err instanceof UsageError && err.code === 'E_SUITE_NOT_FOUND',
    );
    assert.throws(
      () => loadSuite(tempDir()),
      (err: unknown) => err instanceof UsageError && /holds no suite\.yaml/.test(err.message),
    );
  });
});
