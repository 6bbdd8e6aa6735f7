import assert from 'node:assert/strict';
import { chmodSync, existsSync, mkdirSync, readdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { isAlive } from '../../src/adapters/processes.ts';
import { InfrastructureError } from '../../src/errors.ts';
import { startSandbox } from '../../src/sandbox/start.ts';
import { readSandboxState } from '../../src/sandbox/state.ts';
import { stopSandbox } from '../../src/sandbox/stop.ts';
import { sandboxBinDir } from '../harness/paths.ts';
import { runCli } from '../helpers/cli.ts';
import { tempDir } from '../helpers/tmp.ts';

async function listen(port = 0): Promise<{ server: Server; port: number }> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return { server, port: (server.address() as { port: number }).port };
}

/** A cache whose binaries are the real ones, except those replaced by a script. */
function cacheWith(replace: Record<string, string>): string {
  const cache = tempDir('bench-cache-');
  const bin = join(cache, 'sandbox', 'bin');
  mkdirSync(bin, { recursive: true });
  const real = sandboxBinDir();
  for (const name of readdirSync(real)) {
    if (replace[name] !== undefined) {
      writeFileSync(join(bin, name), replace[name]);
      chmodSync(join(bin, name), 0o755);
    } else {
      symlinkSync(join(real, name), join(bin, name));
    }
  }
  for (const d of ['kwok-stages', 'kwok-crds']) symlinkSync(join(real, '..', d), join(cache, 'sandbox', d));
  return cache;
}

describe('local cloud faults', () => {
  it('a port in use: names the part and the fix, and creates nothing', async () => {
    const { server, port } = await listen();
    try {
      const dir = join(tempDir(), 'sandbox');
      await assert.rejects(
        // etcd's port is checked first, so no other busy port on the machine can answer instead.
        startSandbox({ dir, ports: port - 379 }),
        (err: unknown) =>
          err instanceof InfrastructureError &&
          err.code === 'E_PORT_IN_USE' &&
          err.message === `etcd: port 127.0.0.1:${port} is in use` &&
          /--port-base/.test(err.fix ?? ''),
      );
      assert.ok(!existsSync(dir), 'nothing created');
    } finally {
      server.close();
    }
  });

  it('a missing part: names it and the install command', async () => {
    const cache = tempDir('bench-empty-cache-');
    const dir = join(tempDir(), 'sandbox');
    await assert.rejects(
      startSandbox({ dir, ports: 'auto', env: { ...process.env, BENCH_CACHE: cache } }),
      (err: unknown) =>
        err instanceof InfrastructureError &&
        err.code === 'E_SANDBOX_NOT_INSTALLED' &&
        (err.fix ?? '').includes('bash test/harness/install.sh etcd kube kwok moto prometheus') &&
        /kube-apiserver/.test(err.message),
    );
    assert.ok(!existsSync(dir));
  });

  it('a part that fails halfway: up stops what it started, names the part, and down leaves no process', async () => {
    const cache = cacheWith({
      'kube-controller-manager':
        '#!/bin/sh\necho "E1121 controller-manager: cannot start: simulated failure" >&2\nexit 1\n',
    });
    const dir = join(tempDir(), 'sandbox');
    const env = { ...process.env, BENCH_CACHE: cache };
    await assert.rejects(
      startSandbox({ dir, ports: 'auto', env }),
      (err: unknown) =>
        err instanceof InfrastructureError &&
        err.code === 'E_SANDBOX_START' &&
        /kube-controller-manager: exited during start-up: .*simulated failure/.test(err.message) &&
        /controller-manager\.log/.test(err.fix ?? ''),
    );
    const state = readSandboxState(dir);
    const pids = Object.values(state?.parts ?? {}).map((p) => p?.pid as number);
    assert.ok(pids.length >= 2, 'etcd and kube-apiserver had been started');
    assert.deepEqual(pids.filter(isAlive), [], 'up stopped what it had started');
    await stopSandbox({ dir, env });
    assert.deepEqual(pids.filter(isAlive), []);
  });

  it('down stops a half-started cloud whose up was killed', async () => {
    // etcd starts, then the apiserver never becomes ready: the process running up is killed.
    const cache = cacheWith({ 'kube-apiserver': '#!/bin/sh\nexec sleep 600\n' });
    const dir = join(tempDir(), 'sandbox');
    const r = runCli('bench', ['sandbox', 'up', '--dir', dir, '--ports', 'auto'], {
      env: { BENCH_CACHE: cache },
      timeoutMs: 8000,
    });
    assert.notEqual(r.status, 0);
    const state = readSandboxState(dir);
    const pids = Object.values(state?.parts ?? {}).map((p) => p?.pid as number);
    assert.ok(
      pids.length >= 2 && pids.every(isAlive),
      'etcd and the stuck apiserver are left running by the killed up',
    );
    const down = runCli('bench', ['sandbox', 'down', '--dir', dir, '--json'], { env: { BENCH_CACHE: cache } });
    assert.equal(down.status, 0, down.stderr);
    assert.deepEqual(pids.filter(isAlive), [], 'down left no process');
  });
});
