import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from '../raw.ts';
import type { RunComparisonReport } from './model.ts';
import { renderRunComparisonHtml } from './render-html.ts';
import { renderRunComparisonMarkdown } from './render-md.ts';

/** Paths of the comparison files written. */
export interface WrittenRunComparison {
  md: string;
  html: string;
  json: string;
}

/** Writes compare.md, compare.html and compare.json (the model) into a directory, each atomically. */
export async function writeRunComparisonReports(
  dir: string,
  report: RunComparisonReport,
): Promise<WrittenRunComparison> {
  const files: [keyof WrittenRunComparison, string, string][] = [
    ['json', 'compare.json', `${JSON.stringify(report, null, 2)}\n`],
    ['md', 'compare.md', renderRunComparisonMarkdown(report)],
    ['html', 'compare.html', await renderRunComparisonHtml(report)],
  ];
  mkdirSync(dir, { recursive: true });
  const written: Partial<WrittenRunComparison> = {};
  for (const [kind, name, text] of files) {
    const path = join(dir, name);
    writeFileAtomic(path, text);
    written[kind] = path;
  }
  return written as WrittenRunComparison;
}
