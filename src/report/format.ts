import type { StatName } from '../suite/schema.ts';
import { formatDuration } from '../util/duration.ts';
import type { GateReport } from './model.ts';

/**
 * How numbers, durations and gate outcomes read in the reports. One place, so report.md,
 * report.html and the compare reports format a value the same way. Always en-US, so a report
 * reads the same whatever the locale of the machine that rendered it.
 */

const HUGE = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });
const LARGE = new Intl.NumberFormat('en-US', { maximumFractionDigits: 1 });
const MEDIUM = new Intl.NumberFormat('en-US', { maximumFractionDigits: 2 });
const SMALL = new Intl.NumberFormat('en-US', { maximumSignificantDigits: 3 });

/** The placeholder for a statistic without a value. */
export const NO_VALUE = '—';

/** A number for people: thousands separators, and no more digits than the size warrants. */
export function formatNumber(value: number | null | undefined): string {
  if (value === null || value === undefined || Number.isNaN(value)) return NO_VALUE;
  if (!Number.isFinite(value)) return value > 0 ? '∞' : '-∞';
  const abs = Math.abs(value);
  if (abs === 0) return '0';
  if (abs >= 100_000) return HUGE.format(value);
  if (abs >= 1000) return LARGE.format(value);
  if (abs >= 1) return MEDIUM.format(value);
  return SMALL.format(value);
}

/**
 * A statistic's value with the metric's unit: `50,012.3 logs/s`. The coefficient of variation
 * has no unit (it is a ratio of two values in the unit), so it reads as a percentage.
 */
export function formatStat(value: number | null | undefined, unit: string, stat?: StatName): string {
  if (value === null || value === undefined) return NO_VALUE;
  if (stat === 'cv') return `${formatNumber(value * 100)} %`;
  if (isBytesUnit(unit)) return formatBytes(value);
  return unit === '' ? formatNumber(value) : `${formatNumber(value)} ${unit}`;
}

/** Units that count bytes: shown in binary units (KiB, MiB, GiB). */
export function isBytesUnit(unit: string): boolean {
  return /^(bytes?|B|By)$/i.test(unit.trim());
}

const BINARY_UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'] as const;

/**
 * The binary unit a byte count reads best in (the largest whose value is at least 1), with its
 * divisor: 48,234,496 -> MiB, 1,048,576.
 */
export function binaryUnit(bytes: number): { unit: (typeof BINARY_UNITS)[number]; divisor: number } {
  let i = 0;
  const abs = Math.abs(bytes);
  while (i < BINARY_UNITS.length - 1 && abs >= 1024 ** (i + 1)) i++;
  return { unit: BINARY_UNITS[i] as (typeof BINARY_UNITS)[number], divisor: 1024 ** i };
}

/** Bytes for people, in binary units: `46 MiB`, `1.5 GiB`, `512 B`. */
export function formatBytes(bytes: number | null | undefined): string {
  if (bytes === null || bytes === undefined || !Number.isFinite(bytes)) return formatNumber(bytes);
  const { unit, divisor } = binaryUnit(bytes);
  return `${formatNumber(bytes / divisor)} ${unit}`;
}

/** A relative difference (0.2) as `+20.0 %`. */
export function formatPercent(ratio: number | null | undefined): string {
  if (ratio === null || ratio === undefined || !Number.isFinite(ratio)) return NO_VALUE;
  const sign = ratio > 0 ? '+' : '';
  return `${sign}${(ratio * 100).toFixed(1)} %`;
}

/** A signed difference with its unit: `+10,000 logs/s`. */
export function formatSigned(value: number | null | undefined, unit: string): string {
  if (value === null || value === undefined) return NO_VALUE;
  return `${value > 0 ? '+' : ''}${formatStat(value, unit)}`;
}

/** The length of a window for people: `1m 20s`. */
export function windowDuration(window: { start: string; end: string }): string {
  return formatDuration(Math.max(0, (Date.parse(window.end) - Date.parse(window.start)) / 1000));
}

/** A gate's outcome as one word. */
export function gateOutcome(gate: Pick<GateReport, 'ok' | 'missing'>): 'PASS' | 'FAIL' | 'MISSING' {
  if (gate.ok) return 'PASS';
  return gate.missing ? 'MISSING' : 'FAIL';
}

/** A gate's threshold as a condition: `>= 50,000 logs/s`. */
export function gateCondition(gate: Pick<GateReport, 'op' | 'threshold' | 'stat'>, unit: string): string {
  return `${gate.op} ${formatStat(gate.threshold, unit, gate.stat)}`;
}
