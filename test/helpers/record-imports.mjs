// Loaded with `node --import`: appends every module URL the process resolves to the file named
// by BENCH_IMPORT_LOG, so a test can prove what a command does not load.
import { appendFileSync } from 'node:fs';
import { registerHooks } from 'node:module';

const log = process.env.BENCH_IMPORT_LOG;
registerHooks({
  resolve(specifier, context, nextResolve) {
    const result = nextResolve(specifier, context);
    if (log) appendFileSync(log, `${result.url}\n`);
    return result;
  },
});
