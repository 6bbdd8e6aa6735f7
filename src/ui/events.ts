import type { BenchEvent, EventSink } from '../run/events.ts';

/** How events are shown: plain lines for people and CI, JSON lines for machines, or not at all. */
export type EventStyle = 'plain' | 'json' | 'quiet';

/** Picks the style: JSON lines when asked, quiet under --json (stdout carries the result). */
export function chooseEventStyle(options: { json: boolean; eventsJson?: boolean }): EventStyle {
  if (options.eventsJson) return 'json';
  return options.json ? 'quiet' : 'plain';
}

/** Formats one event as a plain line: time, phase, message. */
export function formatEventLine(event: BenchEvent): string {
  const level = event.level === 'info' || event.level === 'debug' ? '' : `${event.level.toUpperCase()} `;
  return `${event.time.slice(11, 19)} ${event.phase.padEnd(9)} ${level}${event.message}`;
}

/** An event sink that writes to a stream (stderr by default, so stdout stays the result). */
export function createEventRenderer(
  style: EventStyle,
  write: (line: string) => void = (l) => process.stderr.write(`${l}\n`),
): EventSink {
  return (event) => {
    if (style === 'quiet' || event.level === 'debug') return;
    write(style === 'json' ? JSON.stringify(event) : formatEventLine(event));
  };
}
