import { UsageError } from '../errors.ts';

// Durations are written the way Go and Prometheus write them ("90s", "5m", "1h30m").
// Hand-written because the common npm parsers are lenient (they accept "5x" or ignore
// trailing garbage), and a benchmark must refuse a duration it does not understand.
const UNIT_SECONDS: Record<string, number> = { ms: 0.001, s: 1, m: 60, h: 3600 };
const DURATION = /^(?:\d+(?:\.\d+)?(?:ms|s|m|h))+$/;
const PART = /(\d+(?:\.\d+)?)(ms|s|m|h)/g;

/**
 * Parses a duration such as `90s`, `5m`, `1h30m` or `0` into seconds.
 * @param what names the flag or field in the error message.
 */
export function parseDuration(text: string | number, what: string): number {
  if (typeof text === 'number') {
    if (Number.isFinite(text) && text >= 0) return text;
    throw new UsageError('E_DURATION', `${what}: ${text} is not a duration`, {
      fix: 'use a non-negative number of seconds',
    });
  }
  const value = text.trim();
  if (value === '0') return 0;
  if (!DURATION.test(value)) {
    throw new UsageError('E_DURATION', `${what}: '${text}' is not a duration`, {
      fix: "write it as a number with a unit of ms, s, m or h, e.g. '90s', '5m', '1h30m' (or 0)",
    });
  }
  let seconds = 0;
  for (const match of value.matchAll(PART)) {
    seconds += Number(match[1]) * (UNIT_SECONDS[match[2] as string] as number);
  }
  return seconds;
}

/** Formats seconds for people: `45s`, `5m`, `1h 2m 3s`. */
export function formatDuration(seconds: number): string {
  if (seconds < 1 && seconds > 0) return `${Math.round(seconds * 1000)}ms`;
  let rest = Math.round(seconds);
  const h = Math.floor(rest / 3600);
  rest -= h * 3600;
  const m = Math.floor(rest / 60);
  const s = rest - m * 60;
  const parts = [h ? `${h}h` : '', m ? `${m}m` : '', s || (!h && !m) ? `${s}s` : ''].filter(Boolean);
  return parts.join(' ');
}
