import type { z } from 'zod';
import { UsageError } from '../errors.ts';

/** Where a checked value sits: which record of which journal, and under which field of it. */
export interface RecordPlace {
  /** The record in words, e.g. `run-start record`. */
  what: string;
  journalPath: string;
  /** The value's field path inside the record, when it is not the whole record. */
  path?: (string | number)[];
}

/**
 * Validates a value read back from a journal against its schema and returns it typed. A value
 * that does not match fails with E_JOURNAL_RECORD (exit 2) naming the first wrong field by its
 * path and what was expected there: the journal is the input here, and it is the user's to fix.
 */
export function checkRecord<S extends z.ZodType>(schema: S, value: unknown, place: RecordPlace): z.output<S> {
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  const path = [...(place.path ?? []), ...(issue?.path ?? [])].map(String).join('.') || '(the record)';
  const problem = describeIssue(issue);
  throw new UsageError(
    'E_JOURNAL_RECORD',
    `the ${place.what} in ${place.journalPath} is malformed: ${path}: ${problem}`,
    {
      fix: `the journal was written by another version of bench or edited by hand: use the bench version that wrote it, or correct ${path} in ${place.journalPath}; \`bench cleanup --orphans\` finds a run's cloud resources by their tags`,
      data: { journal: place.journalPath, field: path, problem },
    },
  );
}

/** Zod's message in the tool's words: lower case, no "Invalid input:" lead. */
function describeIssue(issue: z.core.$ZodIssue | undefined): string {
  if (issue === undefined) return 'does not match';
  const message = issue.message.replace(/^Invalid (input|option): /, '');
  return message.charAt(0).toLowerCase() + message.slice(1);
}
