import { markdownTable } from '../render-md.ts';
import type { RunComparisonReport } from './model.ts';
import { methodText, runsTable, statTable } from './tables.ts';

/** compare.md: the runs, then per metric and statistic a table of values and differences. */
export function renderRunComparisonMarkdown(report: RunComparisonReport): string {
  const out: string[] = [];
  out.push(`# Comparison: ${report.runs.map((r) => r.label).join(' vs ')}`, '');
  if (report.simulated) out.push(`> **Simulated:** ${report.simulated.note}`, '');
  out.push(methodText(report), '');
  out.push(markdownTable(runsTable(report)), '');
  for (const metric of report.metrics) {
    out.push(`## ${metric.name} (${metric.unit})`, '');
    if (metric.description) out.push(metric.description, '');
    for (const s of metric.stats) {
      out.push(`### ${s.stat} during ${report.method.phase}`, '');
      out.push(markdownTable(statTable(s, metric.unit)), '');
    }
  }
  return out.join('\n');
}
