import { max, mean, min, quantile, standardDeviation } from 'simple-statistics';
import type { StatName } from '../suite/schema.ts';

/**
 * Per-phase statistics of one series.
 *
 * Edge cases, decided once here so every renderer and gate agrees:
 * - A window is half-open, `[start, end)`: a sample stamped exactly at a phase boundary belongs to
 *   the phase that begins there, so no sample counts twice. A zero-length phase has no samples.
 * - Samples whose value is not a finite number are dropped before anything is computed: NaN
 *   (Prometheus' "no value", e.g. 0/0), ±Infinity (JSON cannot hold them, so they would turn into
 *   `null` and be mistaken for "no data"), and `null` / `"NaN"` / `"+Inf"`, the forms such values
 *   take once written to JSON. They are counted in `dropped`.
 * - With no samples left, every statistic is `null` (never 0, which would read as a measurement).
 * - Percentiles (p50, p95, p99) are simple-statistics' `quantile`: linear interpolation between
 *   the closest ranks (R type 7, numpy's default), so p50 of [1, 2, 3, 4] is 2.5.
 * - `cv` (coefficient of variation) is the population standard deviation over the mean: the
 *   samples are the whole phase, not a sample of it. One sample gives 0. A mean of 0 gives
 *   `null` (undefined ratio); a negative mean gives a negative cv.
 * - `last` is the value of the latest sample by timestamp (the last one of equal timestamps).
 */

/** The value of each requested statistic; `null` when the window had no usable sample. */
export type StatValues = Partial<Record<StatName, number | null>>;

/** The statistics of one series in one window, and how many samples went into them. */
export interface WindowStats {
  /** Samples used (finite values inside the window). */
  samples: number;
  /** Samples inside the window dropped because their value was not a finite number. */
  dropped: number;
  stats: StatValues;
}

/** A time window in unix milliseconds, `[startMs, endMs)`. */
export interface MsWindow {
  startMs: number;
  endMs: number;
}

/**
 * The numeric value of a raw sample: numbers as they are, and the string and null forms that
 * NaN and ±Infinity take in JSON (Prometheus writes `"NaN"`, `"+Inf"`, `"-Inf"`).
 */
export function sampleValue(value: unknown): number {
  if (typeof value === 'number') return value;
  if (typeof value === 'string') {
    const text = value.trim();
    if (/^\+?inf(inity)?$/i.test(text)) return Infinity;
    if (/^-inf(inity)?$/i.test(text)) return -Infinity;
    return text === '' ? NaN : Number(text);
  }
  return NaN;
}

/** A series' samples inside a window, split into usable values and a count of dropped ones. */
export function samplesInWindow(
  samples: readonly (readonly [number, unknown])[],
  window: MsWindow,
): { points: [number, number][]; dropped: number } {
  const points: [number, number][] = [];
  let dropped = 0;
  for (const sample of samples) {
    const ms = Number(sample[0]) * 1000;
    if (!(ms >= window.startMs && ms < window.endMs)) continue;
    const value = sampleValue(sample[1]);
    if (Number.isFinite(value)) points.push([sample[0], value]);
    else dropped++;
  }
  return { points, dropped };
}

/**
 * Computes the requested statistics of one series over one window (see the edge cases above).
 * @param samples `[unix seconds, value]` pairs, in any order.
 */
export function windowStats(
  samples: readonly (readonly [number, unknown])[],
  window: MsWindow,
  stats: readonly StatName[],
): WindowStats {
  const { points, dropped } = samplesInWindow(samples, window);
  return { samples: points.length, dropped, stats: computeStats(points, stats) };
}

/**
 * Computes the requested statistics of time-stamped values that are already finite.
 * Every requested statistic is present in the result, `null` when there are no values.
 */
export function computeStats(points: readonly (readonly [number, number])[], stats: readonly StatName[]): StatValues {
  const out: StatValues = {};
  if (points.length === 0) {
    for (const stat of stats) out[stat] = null;
    return out;
  }
  const values = points.map((p) => p[1]);
  const percentile = (p: number): number => quantile(values, p);
  for (const stat of stats) {
    switch (stat) {
      case 'mean':
        out.mean = mean(values);
        break;
      case 'min':
        out.min = min(values);
        break;
      case 'max':
        out.max = max(values);
        break;
      case 'p50':
        out.p50 = percentile(0.5);
        break;
      case 'p95':
        out.p95 = percentile(0.95);
        break;
      case 'p99':
        out.p99 = percentile(0.99);
        break;
      case 'cv': {
        const m = mean(values);
        out.cv = m === 0 ? null : standardDeviation(values) / m;
        break;
      }
      case 'last':
        out.last = lastValue(points);
        break;
    }
  }
  return out;
}

function lastValue(points: readonly (readonly [number, number])[]): number {
  let best = points[0] as readonly [number, number];
  for (const p of points) if (p[0] >= best[0]) best = p;
  return best[1];
}

/** A window given as ISO times, in unix milliseconds. */
export function msWindow(window: { start: string; end: string }): MsWindow {
  return { startMs: Date.parse(window.start), endMs: Date.parse(window.end) };
}
