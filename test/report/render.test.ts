import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { create } from 'xmlbuilder2';
import { failedGates } from '../../src/report/model.ts';
import { renderHtml } from '../../src/report/render-html.ts';
import { renderJunit } from '../../src/report/render-junit.ts';
import { renderMarkdown } from '../../src/report/render-md.ts';
import { writeReports } from '../../src/report/write.ts';
import { tempDir } from '../helpers/tmp.ts';
import { thymeRaw, thymeReport, thymeSuite, withGates } from './fixture.ts';

/** The part of the DOM Element (as xmlbuilder2's parser builds it) the JUnit test reads. */
interface XmlElement {
  tagName: string;
  textContent: string | null;
  getAttribute(name: string): string | null;
  getElementsByTagName(name: string): ArrayLike<XmlElement> & Iterable<XmlElement>;
}

/** A run with one failed gate, one gate without data and one missing metric. */
function troubledRun() {
  const raw = thymeRaw({ level: 45_000 });
  raw.set('heap', { ...raw.get('heap')!, series: [], missing: 'Prometheus stopped answering (connection refused)' });
  const suite = withGates(thymeSuite(), [
    ...thymeSuite().gates,
    { metric: 'heap', phase: 'active', stat: 'max', op: '<=', value: 1e9, description: 'heap stays under 1 GB' },
  ]);
  return thymeReport({ suite, raw });
}

describe('report.md', () => {
  it('has the header, phases, a table per metric, the gates and the missing section', () => {
    const { report } = thymeReport();
    const md = renderMarkdown(report);
    assert.match(md, /^# thyme benchmark: run thyme-20260301-120000-abcd/);
    assert.match(md, /\| active \| 2026-03-01T12:00:20\.000Z \| 2026-03-01T12:01:40\.000Z \| 1m 20s \|/);
    for (const m of ['throughput', 'export_failures', 'cpu', 'heap']) assert.match(md, new RegExp(`### ${m} \\(`));
    assert.match(md, /\| phase \| series \| samples \| mean \| min \| max \| p50 \| p95 \| p99 \| cv \|/);
    // Thousands separators and the unit on every value.
    assert.match(md, /\| active \| \(all\) \| 75 \| 50,\d{3}(\.\d)? logs\/s \|/);
    assert.match(md, /\| active \| \{instance="10\.0\.0\.1:8888"\} \| 75 \| 0\.\d+ cores \|/);
    assert.match(md, /## Gates\n\n\| result \| gate \| value \| threshold \| description \|/);
    assert.match(md, /\| PASS \| throughput mean during active >= 50000 \| 50,\S+ logs\/s \| >= 50,000 logs\/s \|/);
    assert.match(md, /## Missing data\n\nNothing is missing/);
  });

  it('shows failed and missing gates and names what is missing and why', () => {
    const { report } = troubledRun();
    const md = renderMarkdown(report);
    assert.match(
      md,
      /\| FAIL \| throughput mean during active >= 50000 \| 4\d,\d{3}(\.\d)? logs\/s \| >= 50,000 logs\/s \|/,
    );
    assert.match(md, /\| MISSING \| heap max during active <= 1000000000 \| no data \|/);
    assert.match(md, /### heap \(bytes\)[\s\S]*> \*\*missing:\*\* Prometheus stopped answering \(connection refused\)/);
    const missing = md.slice(md.indexOf('## Missing data'));
    assert.match(missing, /- metric heap: Prometheus stopped answering \(connection refused\)/);
    assert.match(missing, /- gate heap max during active <= 1000000000: no data/);
  });
});

describe('junit.xml', () => {
  it('parses, with a testcase per gate and one failure per failed gate', () => {
    const { report } = troubledRun();
    const xml = renderJunit(report);
    // Parsed back into a DOM (xmlbuilder2's parser), where attribute entities are decoded.
    const root = create(xml).root().node as unknown as XmlElement;
    assert.equal(root.tagName, 'testsuites');
    const suites = [...root.getElementsByTagName('testsuite')];
    assert.equal(suites.length, 1);
    const suite = suites[0]!;
    assert.equal(suite.getAttribute('name'), 'bench gates thyme-20260301-120000-abcd');
    const cases = [...suite.getElementsByTagName('testcase')];
    assert.deepEqual(
      cases.map((c) => c.getAttribute('name')),
      [
        'throughput mean during active >= 50000',
        'export_failures max during active == 0',
        'heap max during active <= 1000000000',
      ],
    );
    const failures = [...suite.getElementsByTagName('failure')];
    assert.equal(failures.length, failedGates(report).length);
    assert.equal(failures.length, 2);
    assert.equal(suite.getAttribute('failures'), '2');
    assert.match(
      failures[0]!.getAttribute('message')!,
      /^throughput mean during active was 4\d{4}(\.\d+)?; needs >= 50000$/,
    );
    assert.equal(failures[1]!.getAttribute('message'), 'no data');
    assert.match(failures[1]!.textContent!, /Prometheus stopped answering/);
    assert.equal(cases[1]!.getElementsByTagName('failure').length, 0);
  });

  it('is a suite of passing testcases when every gate holds', () => {
    const xml = renderJunit(thymeReport().report);
    assert.doesNotMatch(xml, /<failure/);
    assert.match(xml, /tests="2" failures="0"/);
  });
});

describe('report.html', () => {
  const externalRef = /\b(?:src|href|xlink:href)\s*=\s*["']?\s*(?:https?:)?\/\//i;

  it('is self-contained, with one chart per metric', async () => {
    const { report, raw } = thymeReport();
    const html = await renderHtml(report, raw);
    assert.doesNotMatch(html, externalRef);
    assert.doesNotMatch(html, /<script\b/i);
    assert.doesNotMatch(html, /<link\b/i);
    assert.doesNotMatch(html, /@import|url\(/i);
    assert.equal(html.match(/<svg\b/g)?.length, report.metrics.length);
    // Each chart has a line per series and the phase bands.
    for (const svg of html.match(/<svg[\s\S]*?<\/svg>/g) ?? []) {
      assert.match(svg, /aria-roledescription="line mark" d="M/);
      assert.match(svg, />active</);
    }
    assert.match(html, /<tr class="pass"><td>PASS<\/td><td>throughput mean during active &gt;= 50000/);
    assert.match(html, /<h2>Missing data<\/h2>/);
  });

  it('shows a visible missing box instead of the chart of a missing metric', async () => {
    const { report, raw } = troubledRun();
    const html = await renderHtml(report, raw);
    assert.equal(html.match(/<svg\b/g)?.length, report.metrics.length - 1);
    assert.match(
      html,
      /<section class="metric" id="metric-heap">[\s\S]*?<div class="missing" role="note"><strong>missing:<\/strong> Prometheus stopped answering \(connection refused\)<\/div>/,
    );
    assert.match(html, /<tr class="fail"><td>FAIL<\/td>/);
    assert.match(html, /<tr class="missing"><td>MISSING<\/td>/);
  });

  it('stays small for a long run: 3,600 samples x 3 series per metric under 400 kB', async () => {
    const raw = thymeRaw({ seconds: 3600, series: 3 });
    const { report } = thymeReport({ raw, seconds: 3600 });
    const html = await renderHtml(report, raw);
    const bytes = Buffer.byteLength(html);
    console.log(`report.html of a 3,600 s run, 3 series x 4 metrics: ${(bytes / 1024).toFixed(1)} kB`);
    assert.ok(bytes < 400 * 1024, `report.html is ${bytes} bytes`);
    // LTTB: no series keeps more than 600 points (one "L" per point after the first).
    for (const path of html.match(/aria-roledescription="line mark" d="[^"]*"/g) ?? []) {
      assert.ok((path.match(/L/g)?.length ?? 0) < 600, 'a line has more than 600 points');
    }
  });

  it('escapes what it shows', async () => {
    const raw = thymeRaw();
    const cpu = raw.get('cpu')!;
    cpu.series[0]!.labels = { instance: '<img src=x onerror=alert(1)>' };
    const { report } = thymeReport({ raw });
    const html = await renderHtml(report, raw);
    assert.doesNotMatch(html, /<img/);
  });
});

describe('writeReports', () => {
  it('writes report.md, report.html, summary.json and junit.xml', async () => {
    const dir = tempDir();
    const { report, raw } = troubledRun();
    const written = await writeReports(dir, report, raw, { junit: true });
    assert.deepEqual(Object.keys(written).sort(), ['html', 'json', 'junit', 'md']);
    const json = readFileSync(written.json, 'utf8');
    assert.deepEqual(JSON.parse(json), report);
    assert.match(json, /^\{\n {2}"schemaVersion": 1,\n/);
    assert.equal(readFileSync(written.md, 'utf8'), renderMarkdown(report));
    assert.match(readFileSync(written.junit!, 'utf8'), /<testsuite name="bench gates /);
    const without = await writeReports(tempDir(), report, raw);
    assert.equal(without.junit, undefined);
  });
});
