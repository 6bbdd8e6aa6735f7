import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Headless Chromium (Debian's) as the report tests use it: the flags this machine's closed
 * network needs, and a profile directory of its own per call.
 */

const CANDIDATES = [process.env.CHROMIUM, '/usr/bin/chromium', '/usr/bin/chromium-browser'];

export function chromiumBinary(): string {
  const found = CANDIDATES.find((c): c is string => c !== undefined && c !== '' && existsSync(c));
  assert.ok(
    found,
    `no Chromium found (looked at ${CANDIDATES.filter(Boolean).join(', ')}); install Debian's package: apt-get install chromium`,
  );
  return found;
}

/** Runs headless Chromium once with its own profile directory; fails with its stderr if it does not succeed. */
export function chromium(binary: string, dir: string, name: string, args: string[]): string {
  const profile = join(dir, `profile-${name}`);
  mkdirSync(profile, { recursive: true });
  const result = spawnSync(
    binary,
    [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      `--user-data-dir=${profile}`,
      ...args,
    ],
    { encoding: 'utf8', timeout: 120_000, maxBuffer: 64 * 1024 * 1024 },
  );
  const stderr = result.stderr ?? '';
  assert.ok(
    result.error === undefined && result.status === 0,
    `chromium ${name} failed (status ${result.status}, ${result.error?.message ?? 'no spawn error'}):\n${stderr.slice(-4000)}`,
  );
  return result.stdout;
}
