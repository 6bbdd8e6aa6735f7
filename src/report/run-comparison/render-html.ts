import { runComparisonChartSpec, renderSvg } from '../chart.ts';
import { esc, htmlPage, htmlTable } from '../render-html.ts';
import type { RunComparisonReport } from './model.ts';
import { chartValues, methodText, runsTable, statTable } from './tables.ts';

/** compare.html: the same tables, and per metric a chart of each run's value and difference with intervals. */
export async function renderRunComparisonHtml(report: RunComparisonReport): Promise<string> {
  const sections: string[] = [];
  for (const metric of report.metrics) {
    const parts = [`<section class="metric" id="metric-${esc(metric.name)}">`];
    parts.push(`<h2>${esc(metric.name)} <small>(${esc(metric.unit)})</small></h2>`);
    if (metric.description) parts.push(`<p>${esc(metric.description)}</p>`);
    const chartable = metric.stats[0];
    const points = chartable ? chartValues(chartable) : undefined;
    if (chartable && points && points.values.length > 0) {
      const svg = await renderSvg(
        runComparisonChartSpec({
          title: `${metric.name}: ${chartable.stat} during ${report.method.phase}`,
          unit: metric.unit,
          ...points,
        }),
      );
      parts.push(`<figure class="chart">${svg}</figure>`);
    } else {
      parts.push('<div class="missing" role="note"><strong>missing:</strong> no run has data for this metric</div>');
    }
    for (const s of metric.stats) {
      parts.push(`<h3>${esc(s.stat)} during ${esc(report.method.phase)}</h3>`);
      parts.push(htmlTable(statTable(s, metric.unit), 'stats'));
    }
    parts.push('</section>');
    sections.push(parts.join('\n'));
  }
  const title = `Comparison: ${report.runs.map((r) => r.label).join(' vs ')}`;
  return htmlPage(
    title,
    `${report.simulated ? `<div class="simulated" role="note"><strong>Simulated:</strong> ${esc(report.simulated.note)}</div>\n` : ''}<p>${esc(methodText(report))}</p>
${htmlTable(runsTable(report), 'runs')}
${sections.join('\n')}`,
  );
}
