import { homedir } from 'node:os';
import { join } from 'node:path';

/** Where test/harness/install.sh put the local cloud's binaries. */
export function sandboxBinDir(env: NodeJS.ProcessEnv = process.env): string {
  return join(env.BENCH_CACHE ?? join(homedir(), '.cache', 'bench'), 'sandbox', 'bin');
}

/** The path of one installed binary of the local cloud. */
export function sandboxBin(name: string, env: NodeJS.ProcessEnv = process.env): string {
  return join(sandboxBinDir(env), name);
}
