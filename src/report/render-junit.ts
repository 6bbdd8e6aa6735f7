import { create } from 'xmlbuilder2';
import { formatLabels, gateName, type RunReport } from './model.ts';

/**
 * The gates as JUnit XML, so CI shows a failed SLO the way it shows a failed test: one testsuite
 * `bench gates <runId>`, one testcase per gate named `<metric> <stat> during <phase> <op>
 * <threshold>`. A failed gate is a `<failure>` whose message gives the value(s) against the
 * threshold; a gate without data is a failure too (message `no data`), never a skip, because a
 * skipped test reads as green in most CI views.
 */
export function renderJunit(report: RunReport): string {
  const failures = report.gates.filter((g) => !g.ok).length;
  const doc = create({ version: '1.0', encoding: 'UTF-8' });
  const suites = doc.ele('testsuites', {
    name: `bench ${report.run.suite}`,
    tests: String(report.gates.length),
    failures: String(failures),
    errors: '0',
  });
  const suite = suites.ele('testsuite', {
    name: `bench gates ${report.run.runId}`,
    tests: String(report.gates.length),
    failures: String(failures),
    errors: '0',
    skipped: '0',
    timestamp: report.run.startedAt,
  });
  const props = suite.ele('properties');
  for (const [name, value] of [
    ['suite', report.run.suite],
    ['target', report.run.target],
    ['status', report.run.status],
  ] as const) {
    props.ele('property', { name, value });
  }
  for (const gate of report.gates) {
    const testcase = suite.ele('testcase', {
      name: gateName(gate),
      classname: `bench.${report.run.suite}.gates`,
      time: '0',
    });
    if (gate.ok) continue;
    const detail = [
      gate.description ? `gate: ${gate.description}` : undefined,
      gate.reason,
      ...gate.results.map(
        (r) => `${formatLabels(r.labels)}: ${r.value === null ? 'no value' : r.value} (${r.ok ? 'ok' : 'fails'})`,
      ),
    ]
      .filter((line): line is string => line !== undefined && line !== '')
      .join('\n');
    if (gate.missing) {
      testcase.ele('failure', { message: 'no data', type: 'missing' }).txt(detail);
      continue;
    }
    const bad = gate.results.filter((r) => !r.ok);
    const values = bad.map((r) => (r.value === null ? 'no value' : String(r.value)));
    const where = gate.results.length > 1 ? ` in ${bad.length} of ${gate.results.length} series` : '';
    testcase
      .ele('failure', {
        message: `${gate.metric} ${gate.stat} during ${gate.phase} was ${values.join(', ')}${where}; needs ${gate.op} ${gate.threshold}`,
        type: 'gate',
      })
      .txt(detail);
  }
  return doc.end({ prettyPrint: true });
}
