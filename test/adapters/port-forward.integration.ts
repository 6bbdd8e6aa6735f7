import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { AppsV1Api, CoreV1Api, CustomObjectsApi } from '@kubernetes/client-node';
import { connectKubeconfig } from '../../src/adapters/kube-cluster.ts';
import { createPortForwarder } from '../../src/adapters/port-forward.ts';
import { eventually, startTestSandbox, type TestSandbox } from '../harness/sandbox.ts';
import { ROOT, runCli } from '../helpers/cli.ts';
import { tempDir } from '../helpers/tmp.ts';

/** Starts a long-running command; `output()` is what it wrote so far; `exit` its status. */
function start(command: string, args: string[], env: NodeJS.ProcessEnv) {
  const child: ChildProcess = spawn(command, args, {
    cwd: ROOT,
    env: { ...process.env, NO_COLOR: '1', ...env },
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (out += d.toString()));
  const exit = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
  return { child, exit, output: () => out, interrupt: () => process.kill(-(child.pid as number), 'SIGINT') };
}

describe('the port forwarder, through a real API server (the local cloud)', () => {
  let sb: TestSandbox;
  let grafana: Server;
  let grafanaPort: number;

  before(async () => {
    sb = await startTestSandbox({ nodes: 1 });
    // What stands in for Grafana: kwok's pods run nothing, so kwok's PortForward object says
    // where the pod's port 3000 leads, as a kubelet's stream would reach the container.
    grafana = createServer((s) => {
      s.once('data', () =>
        s.end('HTTP/1.1 200 OK\r\nconnection: close\r\ncontent-length: 17\r\n\r\n{"database":"ok"}'),
      );
    });
    await new Promise<void>((r) => grafana.listen(0, '127.0.0.1', r));
    grafanaPort = (grafana.address() as { port: number }).port;
  });
  after(async () => {
    grafana?.close();
    await sb?.stop();
  });

  it('finds the Ready pod, reads a Secret key and forwards a local port to the pod (no kubectl)', async () => {
    const core = sb.kc.makeApiClient(CoreV1Api);
    const apps = sb.kc.makeApiClient(AppsV1Api);
    await core.createNamespace({ body: { metadata: { name: 'lgtm' } } });
    await core.createNamespacedSecret({
      namespace: 'lgtm',
      body: { metadata: { name: 'grafana-admin' }, stringData: { password: 'generated-in-cluster' } },
    });
    await apps.createNamespacedDeployment({
      namespace: 'lgtm',
      body: {
        metadata: { name: 'lgtm' },
        spec: {
          replicas: 1,
          selector: { matchLabels: { app: 'lgtm' } },
          template: {
            metadata: { labels: { app: 'lgtm' } },
            spec: {
              containers: [{ name: 'lgtm', image: 'grafana/otel-lgtm:0.8.1', ports: [{ containerPort: 3000 }] }],
            },
          },
        },
      },
    });
    const connection = await connectKubeconfig({ path: sb.env.KUBECONFIG });
    const forwarder = createPortForwarder(connection);
    const pod = await eventually('a Ready lgtm pod', () => forwarder.findReadyPod('lgtm', { app: 'lgtm' }), 60_000);
    assert.match(pod, /^lgtm-/);
    assert.equal(await forwarder.findReadyPod('lgtm', { app: 'nothing' }), undefined);
    assert.equal(await forwarder.readSecretKey('lgtm', 'grafana-admin', 'password'), 'generated-in-cluster');
    assert.equal(await forwarder.readSecretKey('lgtm', 'grafana-admin', 'nope'), undefined);
    assert.equal(await forwarder.readSecretKey('lgtm', 'no-such-secret', 'password'), undefined);

    await sb.kc.makeApiClient(CustomObjectsApi).createNamespacedCustomObject({
      group: 'kwok.x-k8s.io',
      version: 'v1alpha1',
      namespace: 'lgtm',
      plural: 'portforwards',
      body: {
        apiVersion: 'kwok.x-k8s.io/v1alpha1',
        kind: 'PortForward',
        metadata: { name: pod, namespace: 'lgtm' },
        spec: { forwards: [{ ports: [3000], target: { address: '127.0.0.1', port: grafanaPort } }] },
      },
    });
    const forwarded = await forwarder.forward({ namespace: 'lgtm', pod, port: 3000, localPort: 0 });
    try {
      assert.ok(forwarded.localPort > 0);
      const body = await eventually(
        'Grafana through the forward',
        async () => {
          const r = await fetch(`http://127.0.0.1:${forwarded.localPort}/api/health`, {
            signal: AbortSignal.timeout(5000),
          });
          return r.ok ? r.text() : undefined;
        },
        30_000,
        500,
      );
      assert.equal(body, '{"database":"ok"}');
    } finally {
      await forwarded.close();
    }
    await assert.rejects(fetch(`http://127.0.0.1:${forwarded.localPort}/`), 'the port is closed after close()');
  });

  it("`bench grafana <run-id>` forwards to the run's Grafana, and shows the password only to a terminal", async () => {
    // A run of the thyme suite on this local cloud, as its directory records it: the run-start
    // record and the manifests it applied (the lgtm objects of the test above are its cluster side).
    const plan = join(tempDir(), 'plan');
    assert.equal(runCli('bench', ['plan', 'thyme', '--target', 'sandbox', '--out', plan]).status, 0);
    const runs = join(tempDir(), 'runs');
    const runId = 'thyme-20261203-010203-ab12';
    mkdirSync(join(runs, runId, 'manifests'), { recursive: true });
    const startRecord = {
      t: new Date().toISOString(),
      type: 'run-start',
      runId,
      suite: 'thyme',
      target: 'sandbox',
      pid: 1,
      host: 'h',
      // What every run writes (the record is validated when read).
      options: { suiteDir: join(ROOT, 'manifests/thyme'), clusterName: `thyme-${runId}` },
    };
    writeFileSync(join(runs, runId, 'journal'), `${JSON.stringify(startRecord)}\n`);
    writeFileSync(
      join(runs, runId, 'manifests', 'all.yaml'),
      readdirSync(plan)
        .sort()
        .map((f) => readFileSync(join(plan, f), 'utf8'))
        .join('\n---\n'),
    );
    const env = { BENCH_RUNS_DIR: runs };
    const bench = join(ROOT, 'bin', 'bench');

    const json = start(
      process.execPath,
      [bench, 'grafana', runId, '--sandbox-dir', sb.dir, '--port', '0', '--json'],
      env,
    );
    const result = await eventually(
      'the forward is open',
      async () => {
        try {
          return JSON.parse(json.output().slice(json.output().indexOf('{'))) as Record<string, unknown>;
        } catch {
          return undefined;
        }
      },
      60_000,
    );
    assert.equal(result.user, 'admin');
    assert.equal(result.namespace, 'lgtm');
    assert.match(String(result.url), /^http:\/\/127\.0\.0\.1:\d+\/$/);
    assert.equal(await (await fetch(`${String(result.url)}api/health`)).text(), '{"database":"ok"}');
    assert.ok(!('password' in result));
    json.interrupt();
    assert.equal(await json.exit, 0, json.output());
    assert.ok(!json.output().includes('generated-in-cluster'), 'no password without --show-password');

    // Not a terminal: refused before anything is read.
    const piped = runCli('bench', ['grafana', runId, '--sandbox-dir', sb.dir, '--show-password'], { env });
    assert.equal(piped.status, 2, piped.stderr);
    assert.match(piped.stderr, /--show-password prints the password to a terminal only/);
    assert.ok(!(piped.stdout + piped.stderr).includes('generated-in-cluster'));

    // At a terminal (script(1) gives it one): the generated password, once.
    const command = [
      process.execPath,
      bench,
      'grafana',
      runId,
      '--sandbox-dir',
      sb.dir,
      '--port',
      '0',
      '--show-password',
    ]
      .map((a) => `'${a}'`)
      .join(' ');
    const tty = start('script', ['-qec', command, '/dev/null'], env);
    await eventually(
      'the forward is open at the terminal',
      async () => /Forwarding until Ctrl-C/.test(tty.output()),
      60_000,
    );
    assert.equal(tty.output().split('generated-in-cluster').length - 1, 1, tty.output());
    assert.match(tty.output(), /user: admin\r?\n {2}password: generated-in-cluster/);
    tty.interrupt();
    await tty.exit;
  });
});
