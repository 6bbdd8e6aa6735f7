import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** Commands whose first argument is the suite; the suite's own bin fills it in. */
const SUITE_COMMANDS = new Set(['plan', 'run', 'compare']);

/**
 * Runs bench with a suite preselected: `thyme-bench run` is `bench run thyme`,
 * `koorde-bench compare chord koorde` is `bench compare koorde chord koorde`.
 */
export async function runWithSuite(suite, bin) {
  const args = process.argv.slice(2);
  const at = args.findIndex((a) => !a.startsWith('-'));
  // compare's first argument may be a variant named like the suite (`koorde-bench compare koorde
  // chord`), so the suite is always filled in there; plan and run accept it given twice.
  if (at >= 0 && SUITE_COMMANDS.has(args[at]) && (args[at] === 'compare' || args[at + 1] !== suite))
    args.splice(at + 1, 0, suite);
  const root = fileURLToPath(new URL('..', import.meta.url));
  const { execute } = await import('@oclif/core');
  const pjson = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
  // Help and messages name the bin the user typed.
  pjson.oclif.bin = bin;
  // ... and show its own examples (bench's name the suite, which this bin fills in).
  pjson.oclif.benchSuite = suite;
  pjson.oclif.helpClass = './bin/suite-help.js';
  await execute({ args, loadOptions: { root, pjson } });
}
