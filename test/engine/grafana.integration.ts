import assert from 'node:assert/strict';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { parseAllDocuments } from 'yaml';
import type { ForwardedPort, PortForwarder } from '../../src/adapters/index.ts';
import { openGrafana } from '../../src/engine/grafana.ts';
import { UsageError } from '../../src/errors.ts';
import { EventBus, type BenchEvent } from '../../src/run/events.ts';
import { Journal } from '../../src/run/journal.ts';
import { createRunDir, JOURNAL_FILE } from '../../src/run/run-dir.ts';
import { locateGrafana } from '../../src/suite/grafana.ts';
import type { KubeObject } from '../../src/suite/render.ts';
import { runCli } from '../helpers/cli.ts';
import { tempDir } from '../helpers/tmp.ts';

/** What `bench plan <suite> --out` renders: the objects a run of it applies. */
function renderSuite(suite: string): string {
  const out = join(tempDir(), 'plan');
  const r = runCli('bench', ['plan', suite, '--target', 'sandbox', '--out', out]);
  assert.equal(r.status, 0, r.stderr);
  return readdirSync(out)
    .sort()
    .map((f) => readFileSync(join(out, f), 'utf8'))
    .join('\n---\n');
}

function makeRun(root: string, runId: string, manifests: string, extra: (j: Journal) => void = () => {}): void {
  const dir = createRunDir(root, runId);
  const journal = Journal.open(join(dir, JOURNAL_FILE));
  journal.append({
    type: 'run-start',
    runId,
    suite: runId.split('-')[0] as string,
    target: 'sandbox',
    pid: 1,
    host: 'h',
  });
  extra(journal);
  mkdirSync(join(dir, 'manifests'));
  writeFileSync(join(dir, 'manifests', 'all.yaml'), manifests);
}

/** A forwarder that stands in for the cluster: a Ready pod, its Secret, and a real local listener. */
function fakeCluster(options: { busy?: number[] } = {}) {
  const calls: { findReadyPod: unknown[]; readSecretKey: unknown[]; forward: unknown[] } = {
    findReadyPod: [],
    readSecretKey: [],
    forward: [],
  };
  const servers: Server[] = [];
  const cluster: PortForwarder = {
    async findReadyPod(namespace, labels) {
      calls.findReadyPod.push({ namespace, labels });
      return 'lgtm-7d9f-abcde';
    },
    async readSecretKey(namespace, name, key) {
      calls.readSecretKey.push({ namespace, name, key });
      return 'generated-Secret-1';
    },
    async forward(o): Promise<ForwardedPort> {
      calls.forward.push(o);
      if (options.busy?.includes(o.localPort))
        throw Object.assign(new Error(`listen EADDRINUSE ${o.localPort}`), { code: 'EADDRINUSE' });
      const sockets = new Set<Socket>();
      const server = createServer((s) => {
        sockets.add(s);
        s.end('HTTP/1.1 200 OK\r\nconnection: close\r\ncontent-length: 7\r\n\r\ngrafana');
      });
      servers.push(server);
      await new Promise<void>((r) => server.listen(o.localPort === 3000 ? 0 : o.localPort, '127.0.0.1', r));
      return {
        localPort: (server.address() as { port: number }).port,
        close: () =>
          new Promise<void>((r) => {
            for (const s of sockets) s.destroy();
            server.close(() => r());
          }),
      };
    },
  };
  return { cluster, calls, servers };
}

describe('bench grafana (engine, with a fake cluster: kwok pods serve no Grafana)', () => {
  const thyme = renderSuite('thyme');

  it("finds the thyme suite's Grafana in what it renders: lgtm/lgtm, port 3000, Secret grafana-admin", () => {
    const objects = parseAllDocuments(thyme).map((d) => d.toJS() as KubeObject);
    assert.deepEqual(locateGrafana(objects), {
      namespace: 'lgtm',
      service: 'lgtm',
      selector: { app: 'lgtm' },
      port: 3000,
      user: 'admin',
      passwordSecret: { name: 'grafana-admin', key: 'password' },
    });
  });

  it('forwards to the Ready pod behind the Service, names URL and user, and never emits the password', async () => {
    const root = tempDir();
    makeRun(root, 'thyme-20261203-010203-ab12', thyme);
    const fake = fakeCluster();
    const events = new EventBus();
    const seen: BenchEvent[] = [];
    events.subscribe((e) => seen.push(e));
    const session = await openGrafana({
      runId: 'thyme-20261203-010203-ab12',
      runsDir: root,
      localPort: 0,
      events,
      connect: async () => fake.cluster,
    });
    try {
      assert.deepEqual(fake.calls.findReadyPod, [{ namespace: 'lgtm', labels: { app: 'lgtm' } }]);
      assert.deepEqual(fake.calls.forward, [{ namespace: 'lgtm', pod: 'lgtm-7d9f-abcde', port: 3000, localPort: 0 }]);
      assert.equal(session.url, `http://127.0.0.1:${session.localPort}/`);
      assert.equal(session.user, 'admin');
      assert.equal(session.password, undefined, 'not read without --show-password');
      assert.deepEqual(fake.calls.readSecretKey, []);
      const body = await (await fetch(session.url)).text();
      assert.equal(body, 'grafana');
    } finally {
      await session.close();
    }

    const shown = await openGrafana({
      runId: 'thyme-20261203-010203-ab12',
      runsDir: root,
      localPort: 0,
      showPassword: true,
      events,
      connect: async () => fake.cluster,
    });
    await shown.close();
    assert.equal(shown.password, 'generated-Secret-1');
    assert.deepEqual(fake.calls.readSecretKey, [{ namespace: 'lgtm', name: 'grafana-admin', key: 'password' }]);
    assert.ok(seen.length > 0);
    assert.ok(!JSON.stringify(seen).includes('generated-Secret-1'), 'the password is in no event');
    const journal = readFileSync(join(root, 'thyme-20261203-010203-ab12', JOURNAL_FILE), 'utf8');
    assert.ok(!journal.includes('generated-Secret-1'), 'nor in the journal');
  });

  it('takes a free port when 3000 is taken, but refuses a --port that is', async () => {
    const root = tempDir();
    makeRun(root, 'thyme-20261203-010203-ab13', thyme);
    const fake = fakeCluster({ busy: [3000, 4321] });
    const session = await openGrafana({
      runId: 'thyme-20261203-010203-ab13',
      runsDir: root,
      connect: async () => fake.cluster,
    });
    await session.close();
    assert.deepEqual(
      fake.calls.forward.map((c) => (c as { localPort: number }).localPort),
      [3000, 0],
    );
    await assert.rejects(
      openGrafana({
        runId: 'thyme-20261203-010203-ab13',
        runsDir: root,
        localPort: 4321,
        connect: async () => fake.cluster,
      }),
      (err: UsageError) => err instanceof UsageError && /127\.0\.0\.1:4321 is in use/.test(err.message),
    );
  });

  it('refuses, with exit 2 and the fix, an unknown run, a suite without Grafana and a torn-down run', async () => {
    const root = tempDir();
    const fake = fakeCluster();
    const connect = async () => fake.cluster;
    await assert.rejects(openGrafana({ runId: 'thyme-20261203-000000-0000', runsDir: root, connect }), {
      code: 'E_RUN_UNKNOWN',
    });
    makeRun(root, 'koorde-20261203-010203-ab12', renderSuite('koorde'));
    await assert.rejects(openGrafana({ runId: 'koorde-20261203-010203-ab12', runsDir: root, connect }), {
      code: 'E_NO_GRAFANA',
    });
    makeRun(root, 'thyme-20261203-010203-ab14', thyme, (j) => {
      j.append({ type: 'phase-start', phase: 'teardown' });
      j.append({ type: 'phase-end', phase: 'teardown', ok: true });
      j.append({ type: 'run-end', status: 'succeeded', exitCode: 0 });
    });
    await assert.rejects(openGrafana({ runId: 'thyme-20261203-010203-ab14', runsDir: root, connect }), (err: Error) => {
      assert.ok(err instanceof UsageError);
      assert.match(err.message, /is torn down: its Grafana is gone/);
      assert.match(err.fix ?? '', /--keep/);
      return true;
    });
    assert.equal(fake.calls.forward.length, 0, 'nothing was forwarded');
  });
});
