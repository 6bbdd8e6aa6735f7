import { z } from 'zod';
import type { JournalRecord } from './journal.ts';
import { checkRecord } from './record-check.ts';

/**
 * A comparison's plan, journaled as a note (phase `compare`) with the run's start, before
 * anything is created: `bench report <run-id>` rebuilds the comparison's report from it.
 */

/** The journal note (phase `compare`) that holds a comparison's plan. */
export const COMPARE_PLAN_MESSAGE = 'comparison plan';

const paramValueSchema = z.union([z.string(), z.number(), z.boolean()]);

/** A comparison as planned before anything was created (journaled with the run's start). */
export const comparePlanSchema = z.object({
  suiteDir: z.string(),
  suite: z.string(),
  mode: z.enum(['side-by-side', 'sequential']),
  arms: z.array(
    z.object({
      /** Unique name (the variant, or `<variant>-<n>` for a repeated variant). */
      name: z.string(),
      /** The suite variant it deploys. */
      variant: z.string(),
      /** Namespace it runs in. */
      namespace: z.string(),
    }),
  ),
  sweepParam: z.string(),
  sizes: z.array(z.number()),
  repeat: z.number(),
  seed: z.number(),
  confidence: z.number(),
  threshold: z.number(),
  /** Every parameter value the arms share (the sweep parameter aside). */
  params: z.record(z.string(), paramValueSchema),
  /** The trials in the order they run, each with its arms in the order they run. */
  schedule: z.array(
    z.object({ order: z.number(), size: z.number(), repetition: z.number(), arms: z.array(z.string()) }),
  ),
});

/** A comparison as planned before anything was created (see {@link comparePlanSchema}). */
export type ComparePlan = z.infer<typeof comparePlanSchema>;

/**
 * The comparison plan a run's journal holds, validated; undefined when the run is not a
 * comparison. A plan that does not match is refused (E_JOURNAL_RECORD, exit 2) by field.
 */
export function readComparePlan(records: readonly JournalRecord[], journalPath: string): ComparePlan | undefined {
  const note = records.find(
    (r): r is Extract<JournalRecord, { type: 'note' }> =>
      r.type === 'note' && r.phase === 'compare' && r.message === COMPARE_PLAN_MESSAGE,
  );
  if (note === undefined) return undefined;
  return checkRecord(comparePlanSchema, note.data, {
    what: `${COMPARE_PLAN_MESSAGE} note`,
    journalPath,
    path: ['data'],
  });
}
