import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { isAlive } from '../../../src/adapters/processes.ts';
import { runCli } from '../../helpers/cli.ts';
import { tempDir } from '../../helpers/tmp.ts';

describe('bench sandbox up | status | down', () => {
  it('starts, reports and stops the local cloud', () => {
    const dir = join(tempDir(), 'sandbox');
    const up = runCli('bench', ['sandbox', 'up', '--dir', dir, '--ports', 'auto', '--json']);
    assert.equal(up.status, 0, up.stderr);
    const status = JSON.parse(runCli('bench', ['sandbox', 'status', '--dir', dir, '--json']).stdout) as {
      up: boolean;
      parts: { part: string; pid: number; port: number; healthy: boolean }[];
      endpoints: Record<string, string>;
      envFile: string;
    };
    assert.equal(status.up, true);
    assert.deepEqual(
      status.parts.map((p) => p.part),
      ['etcd', 'kube-apiserver', 'kube-controller-manager', 'kube-scheduler', 'kwok', 'moto', 'agent', 'prometheus'],
    );
    assert.ok(status.parts.every((p) => p.healthy && p.port > 0));
    assert.match(status.endpoints.AWS_ENDPOINT_URL ?? '', /^http:\/\/127\.0\.0\.1:\d+$/);
    assert.match(status.endpoints.BENCH_PROMETHEUS_URL ?? '', /^http:\/\/127\.0\.0\.1:\d+$/);
    assert.equal(status.endpoints.AWS_SECRET_ACCESS_KEY, undefined, 'credentials are not shown');

    // One location: sandbox.env names the directory, so a shell that sourced it finds this cloud.
    assert.match(
      readFileSync(status.envFile, 'utf8'),
      new RegExp(`^export BENCH_SANDBOX_DIR=${JSON.stringify(dir)}$`, 'm'),
    );
    const elsewhere = join(tempDir(), 'elsewhere');
    const reachers = [
      ['run', 'thyme', '--target', 'sandbox'],
      ['compare', 'koorde', 'chord', 'koorde', '--target', 'sandbox'],
      ['cleanup', '--orphans', '--target', 'sandbox'],
      ['doctor', '--target', 'sandbox'],
    ];
    for (const args of reachers) {
      // Looking in the wrong place names it, and the place where one is up, and how to get there.
      const wrong = runCli('bench', [...args, '--sandbox-dir', elsewhere], { env: { BENCH_SANDBOX_DIR: '' } });
      assert.equal(wrong.status, 3, `${args.join(' ')}: ${wrong.stderr}`);
      if (args[0] !== 'doctor') {
        assert.match(wrong.stderr, new RegExp(`the local cloud is not up in ${elsewhere}; one is up in [^\\n]*${dir}`));
        assert.match(wrong.stderr, /fix: give --sandbox-dir \//);
      } else assert.match(wrong.stdout + wrong.stderr, new RegExp(`not up in ${elsewhere}`));
    }
    // The right place, by flag or by the variable sandbox.env exports, is found.
    const doctor = runCli('bench', ['doctor', '--target', 'sandbox', '--sandbox-dir', dir, '--json']);
    assert.equal(doctor.status, 0, doctor.stdout + doctor.stderr);
    assert.equal(runCli('bench', ['doctor', '--target', 'sandbox'], { env: { BENCH_SANDBOX_DIR: dir } }).status, 0);
    for (const c of [
      'run',
      'compare',
      'cleanup',
      'list',
      'doctor',
      'report',
      'grafana',
      'sandbox up',
      'sandbox down',
      'sandbox status',
    ]) {
      assert.match(
        runCli('bench', [...c.split(' '), '--help']).stdout,
        /--sandbox-dir=DIR/,
        `${c} takes --sandbox-dir`,
      );
    }

    // `cleanup --orphans` shows what it found once (it printed the list twice: with the question
    // and again with the outcome).
    const runs = join(tempDir(), 'runs');
    const runId = 'thyme-20261203-010203-ab12';
    mkdirSync(join(runs, runId), { recursive: true });
    const records = [
      { type: 'run-start', runId, suite: 'thyme', target: 'sandbox', pid: 999_999, host: 'elsewhere' },
      {
        type: 'resource-created',
        resource: { kind: 'tofu-state', id: join(runs, 'kept-state', 'terraform.tfstate') },
      },
      { type: 'run-end', status: 'failed', exitCode: 3 },
    ];
    writeFileSync(
      join(runs, runId, 'journal'),
      records.map((r) => JSON.stringify({ t: new Date().toISOString(), ...r })).join('\n') + '\n',
    );
    const orphans = runCli('bench', [
      'cleanup',
      '--orphans',
      '--target',
      'sandbox',
      '--runs-dir',
      runs,
      '--sandbox-dir',
      dir,
    ]);
    assert.equal(orphans.status, 0, orphans.stderr);
    assert.equal(
      orphans.stdout.split('Runs with resources alive (cleaned up from their journals):').length - 1,
      1,
      orphans.stdout,
    );
    assert.equal(orphans.stdout.split(runId).length - 1, 1, orphans.stdout);
    assert.match(orphans.stdout, /Nothing was deleted\. Add --yes to delete them\./);

    const again = runCli('bench', ['sandbox', 'up', '--dir', dir, '--ports', 'auto']);
    assert.equal(again.status, 0);
    assert.match(again.stderr, /already up/);

    const human = runCli('bench', ['sandbox', 'status', '--dir', dir]);
    assert.match(human.stdout, /kube-apiserver\s+\d+\s+\d+\s+healthy/);
    assert.ok(!/BEGIN|PRIVATE KEY|testing/.test(human.stdout + human.stderr), 'no credential printed');

    const down = runCli('bench', ['sandbox', 'down', '--dir', dir]);
    assert.equal(down.status, 0, down.stderr);
    assert.match(
      down.stdout,
      /Stopped: prometheus, agent, moto, kwok, kube-scheduler, kube-controller-manager, kube-apiserver, etcd\./,
    );
    assert.deepEqual(
      status.parts.filter((p) => isAlive(p.pid)),
      [],
    );
    const after = JSON.parse(runCli('bench', ['sandbox', 'status', '--dir', dir, '--json']).stdout) as { up: boolean };
    assert.equal(after.up, false);
  });

  it('exits 3 with the part and the fix when a port is taken', async () => {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as { port: number }).port;
    try {
      const r = runCli('bench', ['sandbox', 'up', '--dir', join(tempDir(), 's'), '--port-base', String(port - 379)]);
      assert.equal(r.status, 3);
      assert.match(
        r.stderr,
        new RegExp(`Error: etcd: port 127\\.0\\.0\\.1:${port} is in use\\n  fix: stop whatever listens there`),
      );
    } finally {
      server.close();
    }
  });

  it('refuses bad flags with exit 2', () => {
    const dir = join(tempDir(), 's');
    assert.equal(runCli('bench', ['sandbox', 'up', '--dir', dir, '--nodes', '0']).status, 2);
    assert.equal(runCli('bench', ['sandbox', 'up', '--dir', dir, '--koorde-latency-factor', 'fast']).status, 2);
    assert.equal(runCli('bench', ['sandbox', 'up', '--dir', dir, '--port-base', '80']).status, 2);
  });
});
