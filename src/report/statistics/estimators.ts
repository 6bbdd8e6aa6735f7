import { mean, quantileSorted } from 'simple-statistics';

/**
 * How a metric's per-trial value is computed from a trial's units:
 * - `quantile`: the q-quantile of the units (e.g. request latencies, q = 0.95);
 * - `mean`: their mean (e.g. per-second request counts, or 0/1 cache hits);
 * - `value`: the trial has exactly one unit, the value itself (e.g. a counter's increase).
 */
export type Estimator = { kind: 'quantile'; q: number } | { kind: 'mean' } | { kind: 'value' };

/**
 * A trial's value: its estimator over its units. `quantile`: type-7 quantile (see
 * src/report/statistics/resampling.ts); `mean`: the mean; `value`: the single unit (were there several, their mean, so a
 * producer that reports a counter in parts still gets a value rather than an error).
 * @throws RangeError when there are no units.
 */
export function estimate(units: ArrayLike<number>, estimator: Estimator): number {
  if (units.length === 0) throw new RangeError('estimate needs at least one unit');
  const values = Array.from(units);
  switch (estimator.kind) {
    case 'quantile':
      return quantileSorted(
        values.sort((x, y) => x - y),
        estimator.q,
      );
    case 'mean':
      return mean(values);
    case 'value':
      return values.length === 1 ? (values[0] as number) : mean(values);
  }
}
