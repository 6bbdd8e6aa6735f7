import assert from 'node:assert/strict';
import { copyFileSync, existsSync, mkdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, it } from 'node:test';
import { writeReports } from '../../src/report/write.ts';
import { ROOT } from '../helpers/cli.ts';
import { chromium, chromiumBinary } from '../helpers/chromium.ts';
import { tempDir } from '../helpers/tmp.ts';
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
});
