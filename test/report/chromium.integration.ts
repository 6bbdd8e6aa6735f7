import assert from 'node:assert/strict';
import { copyFileSync, existsSync, mkdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, it } from 'node:test';
import { writeVariantComparisonReports } from '../../src/report/variant-comparison/render.ts';
import { writeReports } from '../../src/report/write.ts';
import { ROOT } from '../helpers/cli.ts';
import { chromium, chromiumBinary } from '../helpers/chromium.ts';
import { tempDir } from '../helpers/tmp.ts';
import { comparisonReport } from './variant-comparison-fixture.ts';
import { thymeReport } from './fixture.ts';

/**
 * report.html as a person sees it: rendered by a real browser (Debian's Chromium, headless), its
 * DOM dumped and a screenshot taken. A browser that does not start fails the test with its
 * stderr: a report nobody can look at is not a pass.
 */

describe('report.html in headless Chromium', () => {
  it('renders one chart per metric with its marks, and a screenshot of the whole report', async () => {
    const binary = chromiumBinary();
    const dir = tempDir('bench-chromium-');
    const { report, raw } = thymeReport();
    const { html } = await writeReports(join(dir, 'run'), report, raw);
    const url = pathToFileURL(html).href;

    const dom = chromium(binary, dir, 'dom', ['--dump-dom', url]);
    const svgs = dom.match(/<svg\b[\s\S]*?<\/svg>/g) ?? [];
    assert.equal(svgs.length, report.metrics.length, `the DOM has ${svgs.length} svg elements`);
    for (const [i, svg] of svgs.entries()) {
      const metric = report.metrics[i]!;
      const series = metric.phases.active!.series.length;
      const lines = svg.match(/<path\b[^>]*aria-roledescription="line mark"[^>]*\bd="M[^"]+"/g) ?? [];
      assert.equal(lines.length, series, `${metric.name}: ${lines.length} drawn lines for ${series} series`);
      assert.ok((svg.match(/<path\b/g) ?? []).length > series, `${metric.name}: no axes or phase bands drawn`);
      for (const phase of ['ramp', 'active', 'cooldown']) assert.match(svg, new RegExp(`>${phase}<`));
    }
    assert.match(dom, /<h2>Gates<\/h2>/);
    // At the top, before any figure: that the series are simulated, then the verdict.
    const body = dom.slice(dom.indexOf('<body'));
    const note = body.indexOf('class="simulated"');
    assert.ok(note > 0 && note < body.indexOf('id="verdict"') && body.indexOf('id="verdict"') < body.indexOf('<svg'));
    // The gated charts draw their thresholds; the ungated ones none.
    const gated = new Set(report.gates.map((g) => g.metric));
    for (const [i, svg] of svgs.entries()) {
      const rules = svg.match(/aria-roledescription="rule mark"/g) ?? [];
      assert.equal(rules.length > 0, gated.has(report.metrics[i]!.name), `${report.metrics[i]!.name}: threshold rule`);
    }
    assert.match(svgs[3]!, />MiB</, 'heap axis in MiB');
    assert.match(svgs[2]!, />instance=10\.0\.0\.1:8888</, 'cpu legend: the label that differs');

    const png = join(dir, 'report.png');
    chromium(binary, dir, 'screenshot', [`--screenshot=${png}`, '--window-size=1280,2400', url]);
    assert.ok(existsSync(png), 'chromium wrote no screenshot');
    const bytes = statSync(png).size;
    // A blank 1280x2400 page is about 15 kB; text, tables and four charts are much more.
    assert.ok(bytes > 20 * 1024, `the screenshot is ${bytes} bytes: the page looks blank`);
    const kept = join(ROOT, 'test-output', 'report-screenshot.png');
    mkdirSync(join(ROOT, 'test-output'), { recursive: true });
    copyFileSync(png, kept);
    console.log(`report.html screenshot (${(bytes / 1024).toFixed(0)} kB): ${png} -> ${kept}`);
  });

  it('renders a comparison report: a chart per metric with a line and a band per arm, and a screenshot', async () => {
    const binary = chromiumBinary();
    const dir = tempDir('bench-chromium-comparison-');
    const report = comparisonReport();
    const { html } = await writeVariantComparisonReports(join(dir, 'run'), report);
    const url = pathToFileURL(html).href;

    const dom = chromium(binary, dir, 'dom', ['--dump-dom', url]);
    const svgs = dom.match(/<svg\b[\s\S]*?<\/svg>/g) ?? [];
    const charted = report.metrics.filter((m) => report.missing[m.id] === undefined);
    assert.equal(svgs.length, charted.length, `the DOM has ${svgs.length} svg elements`);
    for (const [i, svg] of svgs.entries()) {
      const metric = charted[i]!;
      const lines = svg.match(/<path\b[^>]*aria-roledescription="line mark"[^>]*\bd="M[^"]+"/g) ?? [];
      const bands = svg.match(/<path\b[^>]*aria-roledescription="area mark"[^>]*\bd="M[^"]+"/g) ?? [];
      // An arm without data at a size has its line broken there: two pieces, one path still.
      assert.equal(lines.length, report.arms.length, `${metric.id}: ${lines.length} drawn lines`);
      assert.equal(bands.length, report.arms.length, `${metric.id}: ${bands.length} drawn bands`);
      for (const arm of report.arms) assert.match(svg, new RegExp(`>${arm.name}<`));
      for (const size of report.sizes) assert.match(svg, new RegExp(`>${size}<`));
    }
    assert.match(dom, /<li class="significant better">/);

    const png = join(dir, 'comparison.png');
    chromium(binary, dir, 'screenshot', [`--screenshot=${png}`, '--window-size=1280,3200', url]);
    assert.ok(existsSync(png), 'chromium wrote no screenshot');
    const bytes = statSync(png).size;
    assert.ok(bytes > 20 * 1024, `the screenshot is ${bytes} bytes: the page looks blank`);
    const kept = join(ROOT, 'test-output', 'comparison-report-screenshot.png');
    mkdirSync(join(ROOT, 'test-output'), { recursive: true });
    copyFileSync(png, kept);
    console.log(`comparison report.html screenshot (${(bytes / 1024).toFixed(0)} kB): ${png} -> ${kept}`);
  });
});
