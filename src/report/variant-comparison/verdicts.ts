import { formatSigned, formatStat } from '../format.ts';
import { repetitionsToTest } from '../statistics/rank-tests.ts';
import type { Interval } from '../statistics/resampling.ts';
import type { ArmComparison, ComparisonMetricDef, VerdictKind } from './model.ts';

/**
 * The wording of `bench compare`'s verdicts: one line per arm against the baseline at one size
 * and metric, and the summary lines per metric. The decisions (significant or not, too few
 * repetitions, no data) are made in build.ts; this file only says them.
 */

/** One arm's comparison at one size and metric, as the summary lines read it. */
export interface JudgedComparison {
  comparison: ArmComparison;
  metric: ComparisonMetricDef;
  size: number;
}

/**
 * The summary lines, per metric: one per significant finding (per size, per arm), or one line
 * saying there is none at any size (or no data at all, or too few repetitions to tell).
 * @param where how a size is named in the texts (`nodes=16`).
 */
export function metricVerdicts(
  judged: readonly JudgedComparison[],
  metrics: readonly ComparisonMetricDef[],
  where: (size: number) => string,
  alpha: number,
): string[] {
  const verdicts: string[] = [];
  for (const metric of metrics) {
    const mine = judged.filter((p) => p.metric === metric);
    const found = mine.filter((p) => p.comparison.significant);
    if (found.length > 0) {
      verdicts.push(...found.map((p) => p.comparison.text));
      continue;
    }
    const noData = mine.filter((p) => p.comparison.verdict === 'no-data');
    const untestable = mine.filter((p) => p.comparison.verdict === 'too-few-repetitions');
    const gapText =
      noData.length === 0
        ? ''
        : ` (no data: ${noData.map((p) => `${p.comparison.arm} at ${where(p.size)}`).join(', ')})`;
    if (noData.length === mine.length) verdicts.push(`no data for ${metric.label} at any size`);
    else if (untestable.length + noData.length === mine.length) {
      // Not "no difference": nothing this small could have shown one.
      verdicts.push(
        `${metric.label}: ${tooFewText(untestable.map((p) => p.comparison))} at any size${gapText}; ${repeatAdvice(alpha)}`,
      );
    } else if (untestable.length > 0) {
      const where_ = untestable.map((p) => `${p.comparison.arm} at ${where(p.size)}`).join(', ');
      verdicts.push(
        `no significant difference in ${metric.label} where it could be tested; ${tooFewText(untestable.map((p) => p.comparison))}: ${where_}${gapText}`,
      );
    } else if (noData.length === 0) verdicts.push(`no significant difference in ${metric.label} at any size`);
    else verdicts.push(`no significant difference in ${metric.label} at any size with data${gapText}`);
  }
  return verdicts;
}

/** The line of a comparison without data on one side or both. */
export function noDataText(metric: ComparisonMetricDef, at: string, missingText: string | undefined): string {
  return `no data for ${metric.label} at ${at}: ${missingText ?? 'no values'}`;
}

/** Which way a significant difference goes (by its interval when the medians are equal). */
export function directionOf(c: ArmComparison): VerdictKind {
  const d = c.difference as number;
  if (d !== 0) return d < 0 ? 'lower' : 'higher';
  const [lo] = c.interval as Interval;
  return lo > 0 ? 'higher' : 'lower';
}

/** A relative difference for people, unsigned: 0.182 -> `18.2%`. */
function percent(ratio: number): string {
  const text = (ratio * 100).toFixed(1);
  return `${text === '-0.0' ? '0.0' : text}%`;
}

/** A relative difference for people, signed: `+1.1%`, `-3.4%`, `0.0%`. */
function signedPercent(ratio: number): string {
  const text = percent(ratio);
  return ratio > 0 && text !== '0.0%' ? `+${text}` : text;
}

/** `p < 0.001`, `p = 0.041`, `p = 1`. */
function pText(p: number): string {
  return p < 0.001 ? 'p < 0.001' : `p = ${Number(p.toPrecision(2))}`;
}

/** `too few repetitions to test (n = 2)`, or `(n = 2 and 3)`, or samples when units are not repetitions. */
function tooFewText(comparisons: ArmComparison[]): string {
  const tests = comparisons.flatMap((c) => (c.test ? [c.test] : []));
  const ns = [...new Set(tests.flatMap((t) => t.n))].sort((a, b) => a - b);
  const what = tests.every((t) => t.perRepetition) ? 'repetitions' : 'samples';
  const n = ns.length <= 1 ? String(ns[0] ?? 0) : `${ns.slice(0, -1).join(', ')} and ${ns.at(-1)}`;
  return `too few ${what} to test (n = ${n})`;
}

function repeatAdvice(alpha: number): string {
  return `--repeat ${repetitionsToTest(alpha)} or more can show a difference`;
}

/** The line of one tested comparison, its verdict already decided. */
export function verdictText(c: ArmComparison, metric: ComparisonMetricDef, at: string, alpha: number): string {
  const test = c.test as NonNullable<ArmComparison['test']>;
  const difference = c.difference as number;
  const interval = c.interval as Interval;
  const relative = c.relativeDifference !== null && c.relativeInterval !== null;
  if (c.significant) {
    const lower = c.verdict === 'lower';
    const effect = c.effectSize ? `, Cliff's delta ${c.effectSize.value.toFixed(2)}, ${c.effectSize.magnitude}` : '';
    const tail = `than ${c.baseline} at ${at} (${pText(test.pAdjusted)}${effect})`;
    if (relative) {
      const [lo, hi] = c.relativeInterval as Interval;
      const r = c.relativeDifference as number;
      const [from, to] = lower ? [-hi, -lo] : [lo, hi];
      return `${c.arm} ${metric.label} ${percent(lower ? -r : r)} ${c.verdict} [${percent(from)}, ${percent(to)}] ${tail}`;
    }
    const [from, to] = lower ? [-interval[1], -interval[0]] : interval;
    const unit = (x: number) => formatStat(x, metric.unit);
    return `${c.arm} ${metric.label} ${unit(Math.abs(difference))} ${c.verdict} [${unit(from)}, ${unit(to)}] ${tail}`;
  }
  const head =
    c.verdict === 'too-few-repetitions'
      ? `${tooFewText([c])}: ${metric.label} at ${at}, the smallest possible p after Holm is ${Number(test.smallestPAdjusted.toPrecision(2))}, not below ${Number(alpha.toPrecision(2))}: ${c.arm}`
      : `no significant difference in ${metric.label} at ${at}: ${c.arm}`;
  const tail = `vs ${c.baseline} (${pText(test.pAdjusted)})`;
  if (relative) {
    const [lo, hi] = c.relativeInterval as Interval;
    return `${head} ${signedPercent(c.relativeDifference as number)} [${signedPercent(lo)}, ${signedPercent(hi)}] ${tail}`;
  }
  const signed = (x: number) => formatSigned(x, metric.unit);
  return `${head} ${signed(difference)} [${signed(interval[0])}, ${signed(interval[1])}] ${tail}`;
}
