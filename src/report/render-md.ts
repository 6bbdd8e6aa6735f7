import {
  gateTable,
  headlineTable,
  imagesTable,
  metricTable,
  missingLines,
  phaseTable,
  runTable,
  verdictGateTable,
  verdictLine,
  type TextTable,
} from './tables.ts';
import type { MetricReport, RunReport } from './model.ts';

/**
 * report.md: the run header, the phase table, one table per metric (phase x series rows, the
 * suite's statistics as columns), the gates and what data is missing. A pure function of the
 * model, so `bench report` renders the same file again from summary.json.
 */
export function renderMarkdown(report: RunReport): string {
  const out: string[] = [];
  out.push(`# ${report.run.suite} benchmark: run ${report.run.runId}`, '');
  // What the figures are comes before the figures: a reader who stops after one line must not
  // take a simulator's numbers for the system's.
  if (report.simulation.note !== null) out.push(`> **Simulated:** ${escapeInline(report.simulation.note)}`, '');
  out.push(...verdictBlock(report));
  out.push('## Run', '');
  out.push(markdownTable(runTable(report)), '');

  out.push('## Phases', '');
  if (report.phases.length === 0) out.push('The journal shows no ramp, active or cool-down phase.', '');
  else out.push(markdownTable(phaseTable(report)), '');

  out.push('## Metrics', '');
  for (const metric of report.metrics) out.push(...metricSection(metric), '');

  out.push('## Gates', '');
  if (report.gates.length === 0) out.push('The suite declares no gates.', '');
  else out.push(markdownTable(gateTable(report)), '');

  out.push('## Images', '');
  if (report.workloads === null)
    out.push('No images were recorded for this run (it did not get past verify, or predates image recording).', '');
  else {
    out.push(markdownTable(imagesTable(report)), '');
    if (report.imagesNote !== null) out.push(escapeInline(report.imagesNote), '');
  }

  out.push('## Missing data', '');
  const missing = missingLines(report);
  if (missing.length === 0) out.push('Nothing is missing: every metric has data and every gate could be evaluated.');
  else out.push(...missing.map((line) => `- ${escapeInline(line)}`));
  out.push('');
  return out.join('\n');
}

/** The verdict: the gates with their values and thresholds, then each metric's headline figure. */
function verdictBlock(report: RunReport): string[] {
  const out = ['## Verdict', '', `**${escapeInline(verdictLine(report))}**`, ''];
  if (report.gates.length > 0) out.push(markdownTable(verdictGateTable(report)), '');
  out.push('Headline figures (active phase):', '', markdownTable(headlineTable(report)), '');
  return out;
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
