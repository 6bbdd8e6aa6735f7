import { cpSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from './cli.ts';
import { tempDir } from './tmp.ts';

/**
 * Copies a built-in suite into a temporary directory, optionally editing its suite.yaml,
 * so a test can break or change one thing and load it as a user's suite.
 */
export function copySuite(name: 'thyme' | 'koorde', edit?: (yaml: string) => string): string {
  const dir = join(tempDir(), name);
  mkdirSync(dir, { recursive: true });
  cpSync(join(ROOT, 'manifests', name), dir, { recursive: true });
  if (edit) {
    const file = join(dir, 'suite.yaml');
    writeFileSync(file, edit(readFileSync(file, 'utf8')));
  }
  return dir;
}

/** How the built-in Thyme suite's manifests section begins: tests put their own overlays there. */
export const THYME_MANIFESTS_HEAD =
  'manifests:\n  overlays:\n    sandbox:\n      params:\n        rateWindow: 5s\n  base:';
