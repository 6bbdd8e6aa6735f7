/** Labels of one Prometheus series. */
export type SeriesLabels = Record<string, string>;

/**
 * The Prometheus text exposition format (version 0.0.4) the simulator's /metrics serves: a
 * `# TYPE` line per metric, then one `name{labels} value` line per series. Integers are written
 * as they are and other values with 6 decimals, so counters read back exactly.
 */
export class Exposition {
  readonly #lines: string[] = [];

  /** A metric of plain series (counter or gauge): its TYPE line and one line per series. */
  series(name: string, type: 'counter' | 'gauge' | 'histogram', rows: [SeriesLabels, number][]): void {
    this.#lines.push(`# TYPE ${name} ${type}`);
    for (const [labels, value] of rows) {
      const l = Object.entries(labels)
        .map(([k, v]) => `${k}="${v.replace(/["\\]/g, '\\$&')}"`)
        .join(',');
      this.#lines.push(`${name}${l ? `{${l}}` : ''} ${Number.isInteger(value) ? value : value.toFixed(6)}`);
    }
  }

  /** A line written as given (a histogram's TYPE, buckets, sum and count). */
  line(text: string): void {
    this.#lines.push(text);
  }

  /** The exposition's text, ending with a newline. */
  text(): string {
    return `${this.#lines.join('\n')}\n`;
  }
}
