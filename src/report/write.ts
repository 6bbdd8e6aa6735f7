import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { RunReport } from './model.ts';
import { writeFileAtomic, type RawMetric } from './raw.ts';
import { renderHtml } from './render-html.ts';
import { renderJunit } from './render-junit.ts';
import { renderMarkdown } from './render-md.ts';

/** The files a run's report is made of, in its run directory. */
export const REPORT_FILES = {
  md: 'report.md',
  html: 'report.html',
  json: 'summary.json',
  junit: 'junit.xml',
} as const;

/** Paths of the report files written. */
export interface WrittenReports {
  md: string;
  html: string;
  json: string;
  junit?: string;
}

/**
 * Writes report.md, report.html, summary.json (pretty-printed, the model itself) and, when asked,
 * junit.xml into the run directory. Each file is written atomically, so an interrupted report
 * leaves the previous file, never half of one. Everything is rendered before the first file is
 * written: a renderer that fails leaves no mix of old and new files.
 */
export async function writeReports(
  runDir: string,
  report: RunReport,
  raw: ReadonlyMap<string, RawMetric>,
  options: { junit?: boolean } = {},
): Promise<WrittenReports> {
  const contents: [keyof WrittenReports, string][] = [
    ['json', `${JSON.stringify(report, null, 2)}\n`],
    ['md', renderMarkdown(report)],
    ['html', await renderHtml(report, raw)],
  ];
  if (options.junit) contents.push(['junit', renderJunit(report)]);
  mkdirSync(runDir, { recursive: true });
  const written: Partial<WrittenReports> = {};
  for (const [kind, text] of contents) {
    const path = join(runDir, REPORT_FILES[kind]);
    writeFileAtomic(path, text);
    written[kind] = path;
  }
  return written as WrittenReports;
}
