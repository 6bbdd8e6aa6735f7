import { gateTable, metricTable, missingLines, phaseTable, runTable, type TextTable } from './tables.ts';
import type { MetricReport, RunReport } from './model.ts';

/**
 * report.md: the run header, the phase table, one table per metric (phase x series rows, the
 * suite's statistics as columns), the gates and what data is missing. A pure function of the
 * model, so `bench report` renders the same file again from summary.json.
 */
export function renderMarkdown(report: RunReport): string {
  const out: string[] = [];
  out.push(`# ${report.run.suite} benchmark: run ${report.run.runId}`, '');
  out.push(markdownTable(runTable(report)), '');

  out.push('## Phases', '');
  if (report.phases.length === 0) out.push('The journal shows no ramp, active or cool-down phase.', '');
  else out.push(markdownTable(phaseTable(report)), '');

  out.push('## Metrics', '');
  for (const metric of report.metrics) out.push(...metricSection(metric), '');

  out.push('## Gates', '');
  if (report.gates.length === 0) out.push('The suite declares no gates.', '');
  else out.push(markdownTable(gateTable(report)), '');

  out.push('## Missing data', '');
  const missing = missingLines(report);
  if (missing.length === 0) out.push('Nothing is missing: every metric has data and every gate could be evaluated.');
  else out.push(...missing.map((line) => `- ${escapeInline(line)}`));
  out.push('');
  return out.join('\n');
}

function metricSection(metric: MetricReport): string[] {
  const lines = [`### ${metric.name} (${escapeInline(metric.unit)})`, ''];
  if (metric.description) lines.push(escapeInline(metric.description), '');
  if (metric.query) lines.push(`Query: ${inlineCode(metric.query)}`, '');
  if (metric.missing !== undefined) {
    lines.push(`> **missing:** ${escapeInline(metric.missing)}`);
    return lines;
  }
  const t = metricTable(metric);
  if (t.rows.length === 0) lines.push('No phase ran.');
  else lines.push(markdownTable(t));
  return lines;
}

/** A GitHub-flavoured Markdown table; cells are escaped so a `|` in a label cannot break it. */
export function markdownTable(t: TextTable): string {
  const line = (cells: string[]) => `| ${cells.map(cell).join(' | ')} |`;
  return [line(t.header), `|${t.header.map(() => '---').join('|')}|`, ...t.rows.map(line)].join('\n');
}

function cell(text: string): string {
  return text.replace(/\\/g, '\\\\').replace(/\|/g, '\\|').replace(/\r?\n/g, ' ');
}

/**
 * Text that must not turn into markup: most Markdown viewers render HTML tags, so a `<` that
 * could open one is escaped. `<=` and `< 5` stay as they are, for people reading the raw file.
 */
export function escapeInline(text: string): string {
  return text.replace(/<(?=[A-Za-z/!?])/g, '&lt;').replace(/\r?\n/g, ' ');
}

/** Inline code that survives backticks inside the text. */
function inlineCode(text: string): string {
  const longest = Math.max(0, ...[...text.matchAll(/`+/g)].map((m) => m[0].length));
  const fence = '`'.repeat(longest + 1);
  const pad = text.startsWith('`') || text.endsWith('`') ? ' ' : '';
  return `${fence}${pad}${text.replace(/\r?\n/g, ' ')}${pad}${fence}`;
}
