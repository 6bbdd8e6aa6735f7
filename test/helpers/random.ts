/**
 * Seeded random deviates for synthetic samples (the statistics tests and bench/comparison-stats.ts),
 * drawn from a uniform generator such as mulberry32, so a synthetic data set is reproducible.
 */

/** Standard normal deviates (Box-Muller). */
export function normal(random: () => number): () => number {
  return () => Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
}

/** A Poisson deviate (Knuth's method; fine for the small means used here). */
export function poisson(random: () => number, lambda: number): number {
  const limit = Math.exp(-lambda);
  let k = 0;
  let p = random();
  while (p > limit) {
    k++;
    p *= random();
  }
  return k;
}
