/**
 * The targets a run can go to. Declared here, in the lowest layer that needs them (the journal's
 * run-start record is validated against them), and used by the suite schema and the targets.
 */
export const TARGETS = ['aws', 'sandbox', 'kube'] as const;

/** One of {@link TARGETS}. */
export type TargetName = (typeof TARGETS)[number];
