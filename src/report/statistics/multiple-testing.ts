/**
 * Corrections for multiple testing: a comparison asks many questions at once (sizes x metrics x
 * arms), and each test's p-value must be read against the whole family.
 */

/**
 * Holm-Bonferroni adjusted p-values, in the order given: the i-th smallest of m p-values is
 * multiplied by m - i + 1, then made monotone (an adjusted p-value is never below that of a
 * smaller p-value) and capped at 1; the same as R's `p.adjust(p, 'holm')`. Rejecting where the
 * adjusted p-value is below alpha controls the family-wise error rate at alpha without assuming
 * anything about the dependence between the tests (and is uniformly more powerful than Bonferroni).
 */
export function holm(pValues: readonly number[]): number[] {
  const m = pValues.length;
  const order = pValues.map((_, i) => i).sort((i, j) => (pValues[i] as number) - (pValues[j] as number) || i - j);
  const adjusted = new Array<number>(m);
  let running = 0;
  order.forEach((index, rank) => {
    running = Math.max(running, Math.min(1, (m - rank) * (pValues[index] as number)));
    adjusted[index] = running;
  });
  return adjusted;
}
