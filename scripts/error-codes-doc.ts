/**
 * Writes docs/error-codes.md from the error-code registry (src/errors/codes.ts):
 * `node scripts/error-codes-doc.ts`. test/errors/error-codes-doc.test.ts fails while the
 * committed file differs from what this generates.
 */
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { exitCodeOf } from '../src/errors.ts';
import { ERROR_CODES, type ErrorCodeEntry } from '../src/errors/codes.ts';

/** Where the generated page lives. */
export const ERROR_CODES_DOC = fileURLToPath(new URL('../docs/error-codes.md', import.meta.url));

/** The page's text: one table row per registered code, in code order. */
export function renderErrorCodesDoc(): string {
  const rows = Object.entries(ERROR_CODES)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([code, entry]) => `| \`${code}\` | ${exitCodes(entry)} | ${cell(entry.description)} |`);
  return [
    '# Error codes',
    '',
    '<!-- Generated from src/errors/codes.ts by `node scripts/error-codes-doc.ts`; do not edit by hand. -->',
    '',
    'Every error bench reports carries one of these codes (`error.code` with `--json`, and in the',
    "journal's `error` records). The exit code follows from who is at fault; a code raised in two",
    'situations names both.',
    '',
    '| Code | Exit code | Meaning |',
    '| --- | --- | --- |',
    ...rows,
    '',
  ].join('\n');
}

/** `2 (usage)`, `2 (usage) or 3 (infrastructure)`, or that the code is only journaled. */
function exitCodes(entry: ErrorCodeEntry): string {
  if (entry.kinds.length === 0) return 'none (journal only)';
  return entry.kinds.map((k) => `${exitCodeOf[k]} (${k})`).join(' or ');
}

/** A table cell: a pipe would end it. */
function cell(text: string): string {
  return text.replaceAll('|', '\\|');
}

if (import.meta.main) writeFileSync(ERROR_CODES_DOC, renderErrorCodesDoc());
