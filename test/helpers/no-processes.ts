/**
 * Preloaded (`node --import`) by the unit tier: a unit test starts no process outside Node. Every way
 * `node:child_process` starts one throws instead, so a test that needs a real binary fails loudly in
 * this tier and belongs to the integration tier.
 */
import childProcess from 'node:child_process';
import { syncBuiltinESMExports } from 'node:module';

const methods = ['spawn', 'spawnSync', 'exec', 'execSync', 'execFile', 'execFileSync', 'fork'] as const;
for (const method of methods) {
  Object.defineProperty(childProcess, method, {
    value: () => {
      throw new Error(
        `unit tests start no process (child_process.${method} was called): move this test to the integration tier`,
      );
    },
  });
}
// ESM named imports of a builtin are bound to these properties only after this call.
syncBuiltinESMExports();
