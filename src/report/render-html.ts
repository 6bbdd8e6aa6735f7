import { chartOrigin, metricChartSpec, PHASE_COLORS, renderSvg, thresholdLabel } from './chart.ts';
import { gateOutcome } from './format.ts';
import type { MetricReport, RunReport } from './model.ts';
import type { RawMetric } from './raw.ts';
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

/**
 * report.html: the same header and tables as report.md, and a chart per metric (a line per
 * series over the whole run, the phases shaded). ONE self-contained file: styles inline, charts
 * as inline SVG rendered here, no script, no font, nothing fetched, so it opens the same from a
 * CI artifact, an e-mail or a machine without network. Series are reduced with LTTB to at most
 * 600 points each, so a long run stays a small file.
 */
export async function renderHtml(report: RunReport, raw: ReadonlyMap<string, RawMetric>): Promise<string> {
  const origin = chartOrigin(report.phases, raw.values());
  const sections: string[] = [];
  for (const metric of report.metrics) sections.push(await metricSection(metric, report, raw.get(metric.name), origin));
  const missing = missingLines(report);
  const title = `${report.run.suite} benchmark: run ${report.run.runId}`;
  const verdictClass = report.gates.length === 0 ? 'none' : report.gates.every((g) => g.ok) ? 'pass' : 'fail';
  const gateRows = (_row: string[], i: number) =>
    ` class="${gateOutcome(report.gates[i] ?? { ok: false, missing: true }).toLowerCase()}"`;
  const simulated =
    report.simulation.note === null
      ? ''
      : `<div class="simulated" role="note"><strong>Simulated:</strong> ${esc(report.simulation.note)}</div>\n`;
  return htmlPage(
    title,
    `${simulated}<section class="verdict ${verdictClass}" id="verdict">
<h2>Verdict</h2>
<p class="verdict-line">${esc(verdictLine(report))}</p>
${report.gates.length === 0 ? '' : htmlTable(verdictGateTable(report), 'gates', gateRows)}
<p>Headline figures (active phase):</p>
${htmlTable(headlineTable(report), 'headlines', (_row, i) => (report.metrics[i]?.simulated ? ' class="simulated"' : ''))}
</section>
<h2>Run</h2>
${htmlTable(runTable(report), 'run')}
<h2>Phases</h2>
${report.phases.length === 0 ? '<p>The journal shows no ramp, active or cool-down phase.</p>' : htmlTable(phaseTable(report), 'phases', (row) => ` class="phase-${esc(row[0] ?? '')}"`)}
<h2>Metrics</h2>
${sections.join('\n')}
<h2>Gates</h2>
${report.gates.length === 0 ? '<p>The suite declares no gates.</p>' : htmlTable(gateTable(report), 'gates', gateRows)}
<h2>Images</h2>
${report.workloads === null ? '<p>No images were recorded for this run (it did not get past verify, or predates image recording).</p>' : `${htmlTable(imagesTable(report), 'images')}${report.imagesNote === null ? '' : `<p>${esc(report.imagesNote)}</p>`}`}
<h2>Missing data</h2>
${missing.length === 0 ? '<p>Nothing is missing: every metric has data and every gate could be evaluated.</p>' : `<ul class="missing-list">${missing.map((m) => `<li>${esc(m)}</li>`).join('')}</ul>`}`,
  );
}

async function metricSection(
  metric: MetricReport,
  report: RunReport,
  raw: RawMetric | undefined,
  originMs: number,
): Promise<string> {
  const parts = [
    `<section class="metric" id="metric-${esc(metric.name)}">`,
    `<h3>${esc(metric.name)} <small>(${esc(metric.unit)})</small></h3>`,
  ];
  if (metric.description) parts.push(`<p>${esc(metric.description)}</p>`);
  if (metric.query) parts.push(`<p class="query">Query: <code>${esc(metric.query)}</code></p>`);
  if (metric.missing !== undefined || raw === undefined) {
    parts.push(
      `<div class="missing" role="note"><strong>missing:</strong> ${esc(metric.missing ?? 'no raw data')}</div>`,
    );
  } else {
    const svg = await renderSvg(
      metricChartSpec({
        title: `${metric.name} (${metric.unit})`,
        unit: metric.unit,
        raw,
        windows: report.phases,
        originMs,
        // A cv is a ratio, not in the metric's unit: it has no place on the value axis.
        thresholds: report.gates
          .filter((g) => g.metric === metric.name && g.stat !== 'cv')
          .map((g) => ({ value: g.threshold, label: thresholdLabel(g, metric.unit) })),
      }),
    );
    parts.push(`<figure class="chart">${svg}</figure>`);
    const t = metricTable(metric);
    parts.push(t.rows.length === 0 ? '<p>No phase ran.</p>' : htmlTable(t, 'stats'));
  }
  parts.push('</section>');
  return parts.join('\n');
}

/** An HTML table of text cells; every cell is escaped. */
export function htmlTable(t: TextTable, cls: string, rowAttrs?: (row: string[], index: number) => string): string {
  const head = t.header.every((h) => h === '')
    ? ''
    : `<thead><tr>${t.header.map((h) => `<th>${esc(h)}</th>`).join('')}</tr></thead>`;
  const body = t.rows
    .map((row, i) => `<tr${rowAttrs ? rowAttrs(row, i) : ''}>${row.map((c) => `<td>${esc(c)}</td>`).join('')}</tr>`)
    .join('\n');
  return `<table class="${esc(cls)}">${head}<tbody>\n${body}\n</tbody></table>`;
}

/** Escapes text for HTML element content and attribute values. */
export function esc(text: string): string {
  return text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}

/** The page's whole style sheet; system fonts only, so nothing is fetched. */
export const STYLE = `
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; margin: 2rem auto; max-width: 1100px; padding: 0 1rem; color: #222; }
h1 { font-size: 1.5rem; } h2 { margin-top: 2rem; border-bottom: 1px solid #ddd; } h3 small { color: #666; font-weight: normal; }
table { border-collapse: collapse; margin: .5rem 0 1rem; font-size: .9rem; }
th, td { border: 1px solid #ddd; padding: .25rem .6rem; text-align: left; vertical-align: top; }
th { background: #f5f5f5; }
table.stats td:nth-child(n+3) { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
table.run td:first-child { font-weight: 600; }
tr.pass td:first-child { color: #1b7a3a; font-weight: 700; }
tr.fail td:first-child { color: #b3261e; font-weight: 700; }
tr.missing td:first-child { color: #9a5b00; font-weight: 700; }
tr.phase-ramp td:first-child { border-left: 6px solid ${PHASE_COLORS.ramp}; }
tr.phase-active td:first-child { border-left: 6px solid ${PHASE_COLORS.active}; }
tr.phase-cooldown td:first-child { border-left: 6px solid ${PHASE_COLORS.cooldown}; }
.query code { font-size: .8rem; background: #f5f5f5; padding: .1rem .3rem; word-break: break-all; }
figure.chart { margin: .5rem 0; overflow-x: auto; }
div.missing { border: 2px dashed #b3261e; background: #fdf0ef; color: #7a1a14; padding: 1rem; margin: .5rem 0 1rem; }
ul.missing-list li { margin: .2rem 0; }
div.simulated { border: 2px solid #9a5b00; background: #fff6e5; color: #5c3700; padding: .8rem 1rem; margin: .5rem 0 1rem; font-size: 1rem; }
section.verdict { border: 1px solid #ddd; border-left: 8px solid #888; padding: .2rem 1rem .6rem; margin: 1rem 0; }
section.verdict.pass { border-left-color: #1b7a3a; } section.verdict.fail { border-left-color: #b3261e; }
section.verdict h2 { margin-top: .6rem; border: none; }
p.verdict-line { font-size: 1.15rem; font-weight: 700; }
section.verdict.pass p.verdict-line { color: #1b7a3a; } section.verdict.fail p.verdict-line { color: #b3261e; }
table.headlines td:nth-child(3) { text-align: right; font-variant-numeric: tabular-nums; }
table.headlines tr.simulated td:last-child { color: #9a5b00; font-weight: 600; }
table.images td { font-size: .8rem; word-break: break-all; }
`;

/**
 * A whole self-contained page: title, the shared style inline (and the page's own rules, if it
 * has any), and the body (no external resource).
 */
export function htmlPage(title: string, body: string, extraStyle = ''): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(title)}</title>
<style>${STYLE}${extraStyle}</style>
</head>
<body>
<h1>${esc(title)}</h1>
${body}
</body>
</html>
`;
}
