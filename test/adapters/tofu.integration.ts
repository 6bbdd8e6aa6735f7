import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  CreateLoadBalancerCommand,
  DeleteLoadBalancerCommand,
  ElasticLoadBalancingV2Client,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { isAlive } from '../../src/adapters/processes.ts';
import {
  createTofu,
  isDependencyViolation,
  isRecordedTofuAlive,
  isTofuAlive,
  stateLockHolder,
  type TofuDiagnostic,
  type TofuProgress,
  type TofuStart,
} from '../../src/adapters/tofu.ts';
import { waitForRunTofu, type TofuWait } from '../../src/phases/wait-for-tofu.ts';
import { readJournal, type JournalRecord } from '../../src/run/journal.ts';
import { liveTofus, recordedTofus, summarizeRun } from '../../src/run/run-dir.ts';
import { formatRunList } from '../../src/ui/format.ts';
import { InfrastructureError, InterruptedError } from '../../src/errors.ts';
import { startMoto, type Moto } from '../harness/moto.ts';
import { sandboxBin, sandboxBinDir } from '../harness/paths.ts';
import { ROOT } from '../helpers/cli.ts';
import { failure } from '../helpers/failure.ts';
import { tempDir } from '../helpers/tmp.ts';
import { MODULE_OUTPUTS } from '../../src/phases/provision.ts';

const TOFU = sandboxBin('tofu');
const FIXTURES = join(ROOT, 'test', 'fixtures', 'tofu');
const SANDBOX_MODULE = join(ROOT, 'infra', 'sandbox');
// The virtualenv test/harness/install.sh made for moto: its python has boto3.
const PYTHON = join(sandboxBinDir(), '..', 'moto', 'bin', 'python');

async function waitFor(what: string, condition: () => boolean, timeoutMs: number): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > end) assert.fail(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** What tofu wrote into the test's fixture directory: nothing but the module itself. */
function assertUntouched(moduleDir: string, files = ['main.tf']): void {
  assert.deepEqual(readdirSync(moduleDir).sort(), files, `tofu wrote into ${moduleDir}`);
}

describe('tofu adapter on fixture modules', { timeout: 90_000 }, () => {
  const halfway = join(FIXTURES, 'halfway');
  const slow = join(FIXTURES, 'slow');

  it('reports a failure halfway with its diagnostic, and the state still holds what was made', async () => {
    const work = tempDir('bench-tofu-halfway-');
    const diagnostics: TofuDiagnostic[] = [];
    const progress: TofuProgress[] = [];
    const tofu = createTofu({
      moduleDir: halfway,
      workDir: work,
      binary: TOFU,
      onDiagnostic: (d) => diagnostics.push(d),
      onProgress: (p) => progress.push(p),
      fixHint: '`bench cleanup r1` removes what was created',
    });
    await tofu.init();
    assert.deepEqual(await tofu.stateResources(), [], 'no state before the first apply');

    const err = await failure(tofu.apply({}), InfrastructureError);
    assert.equal(err.code, 'E_TOFU');
    assert.match(err.message, /^tofu apply failed: local-exec provisioner error: .*quota exceeded: no room for second/);
    assert.match(err.fix ?? '', new RegExp(`see ${join(work, 'tofu.log')}.*bench cleanup r1`));
    assert.equal(err.data?.command, 'apply');
    const errors = (err.data?.diagnostics as TofuDiagnostic[]).filter((d) => d.severity === 'error');
    assert.equal(errors[0]?.address, 'terraform_data.second');
    assert.deepEqual(
      diagnostics.map((d) => d.summary),
      ['local-exec provisioner error'],
    );
    assert.equal(isDependencyViolation(err), false);

    const last = progress.at(-1);
    assert.deepEqual(
      { command: last?.command, total: last?.total, done: last?.done, current: last?.current },
      { command: 'apply', total: 2, done: 2, current: undefined },
      'the failed resource counts as finished',
    );

    // The failed resource stays in the state (tainted), so a destroy removes both.
    assert.ok((await tofu.stateResources()).includes('terraform_data.first'));
    await tofu.destroy({});
    assert.deepEqual(await tofu.stateResources(), []);

    const log = readFileSync(join(work, 'tofu.log'), 'utf8');
    assert.match(log, /"type":"apply_errored"/);
    assert.match(log, /"@bench":"exit","command":"apply","exitCode":1/);
    assertUntouched(halfway);
  });

  it('runs `terraform` in place of `tofu` the same way', async () => {
    const bin = tempDir('bench-tofu-terraform-');
    const work = tempDir('bench-tofu-terraform-work-');
    const terraform = join(bin, 'terraform');
    symlinkSync(TOFU, terraform);
    const tofu = createTofu({ moduleDir: halfway, workDir: work, binary: terraform });
    const vars = { fail: false };

    await tofu.init();
    assert.deepEqual(await tofu.plan(vars), { changes: 2 });
    await tofu.apply(vars);
    assert.deepEqual(await tofu.plan(vars), { changes: 0 }, 'nothing left to do');
    assert.deepEqual(await tofu.output(), {
      greeting: { value: 'hello from first', sensitive: false },
      token: { value: 'fixture-token-not-a-secret', sensitive: true },
    });
    assert.deepEqual((await tofu.stateResources()).sort(), ['terraform_data.first', 'terraform_data.second']);
    assert.doesNotMatch(readFileSync(join(work, 'tofu.log'), 'utf8'), /fixture-token-not-a-secret/);

    const bad = await failure(tofu.plan({ fail: 'sometimes' }), InfrastructureError);
    assert.equal(bad.code, 'E_TOFU');
    assert.match(bad.message, /^terraform plan failed: Invalid value for input variable/);

    assert.deepEqual(await tofu.plan(vars, { destroy: true }), { changes: 2 });
    await tofu.destroy(vars);
    assert.deepEqual(await tofu.stateResources(), []);
    assertUntouched(halfway);
  });

  it('keeps the state in a backend the user configures instead of the work dir', async () => {
    const work = tempDir('bench-tofu-backend-');
    const moduleDir = join(FIXTURES, 'backend');
    const statePath = join(work, 'elsewhere', 'custom.tfstate');
    const tofu = createTofu({ moduleDir, workDir: work, binary: TOFU, backendConfig: { path: statePath } });
    await tofu.init();
    await tofu.apply({});
    assert.deepEqual(await tofu.stateResources(), ['terraform_data.only']);
    assert.ok(existsSync(statePath), 'the state is where the backend says');
    assert.equal(existsSync(join(work, 'terraform.tfstate')), false);
    // Backend settings may hold credentials: the log names them only.
    const log = readFileSync(join(work, 'tofu.log'), 'utf8');
    assert.match(log, /"-backend-config=path=\*\*\*"/);
    assert.doesNotMatch(log, /custom\.tfstate/);
    await tofu.destroy({});
    assert.deepEqual(await tofu.stateResources(), []);
    assertUntouched(moduleDir);
  });

  it("keeps the state in the work dir through the local backend's path, never the deprecated -state flag", async () => {
    const work = tempDir('bench-tofu-state-');
    const diagnostics: TofuDiagnostic[] = [];
    const tofu = createTofu({
      moduleDir: halfway,
      workDir: work,
      binary: TOFU,
      onDiagnostic: (d) => diagnostics.push(d),
    });
    const vars = { fail: false };
    await tofu.init();
    await tofu.apply(vars);
    assert.deepEqual((await tofu.stateResources()).sort(), ['terraform_data.first', 'terraform_data.second']);
    assert.equal((await tofu.output()).greeting?.value, 'hello from first');
    await tofu.destroy(vars);

    // Every command tofu was given, as the log recorded it.
    const starts = readFileSync(join(work, 'tofu.log'), 'utf8')
      .split('\n')
      .filter((l) => l.includes('"@bench":"start"'))
      .map((l) => JSON.parse(l) as { command: string; args: string[] });
    assert.deepEqual(
      starts.map((s) => s.command),
      ['init', 'apply', 'state list', 'output', 'destroy'],
    );
    for (const s of starts) {
      assert.ok(!s.args.some((a) => a.startsWith('-state')), `${s.command} got -state: ${s.args.join(' ')}`);
    }
    assert.deepEqual(
      diagnostics.filter((d) => d.severity === 'warning'),
      [],
      'no deprecation (or other) warning',
    );
    // The state (and its history) is the backend's file in the work dir, tofu ran in the copy.
    const state = JSON.parse(readFileSync(join(work, 'terraform.tfstate'), 'utf8')) as { resources: unknown[] };
    assert.deepEqual(state.resources, [], 'destroyed: the state is the one apply and destroy wrote');
    assert.ok(existsSync(join(work, 'terraform.tfstate.backup')));
    const backend = JSON.parse(readFileSync(join(work, 'module', 'bench_backend.tf.json'), 'utf8')) as unknown;
    assert.deepEqual(backend, { terraform: { backend: { local: { path: join(work, 'terraform.tfstate') } } } });
    assert.equal(existsSync(join(work, 'module', 'terraform.tfstate')), false);
    assertUntouched(halfway);
  });

  it('labels each diagnostic with the command that reported it', async () => {
    const work = tempDir('bench-tofu-diag-');
    const diagnostics: TofuDiagnostic[] = [];
    const tofu = createTofu({
      moduleDir: halfway,
      workDir: work,
      binary: TOFU,
      onDiagnostic: (d) => diagnostics.push(d),
    });
    await tofu.init();
    await failure(tofu.apply({}), InfrastructureError);
    await tofu.destroy({});
    assert.deepEqual(
      diagnostics.map((d) => [d.command, d.summary]),
      [['apply', 'local-exec provisioner error']],
    );
  });

  it('says how to install tofu when the binary is missing', async () => {
    const work = tempDir('bench-tofu-missing-');
    for (const binary of [join(work, 'no-such-tofu'), 'tofu-not-on-any-path']) {
      const err = await failure(createTofu({ moduleDir: halfway, workDir: work, binary }).init(), InfrastructureError);
      assert.equal(err.code, 'E_TOFU_MISSING');
      assert.match(err.message, new RegExp(binary));
      assert.match(err.fix ?? '', /install OpenTofu.*bash test\/harness\/install\.sh tofu/);
    }
  });

  it('on interrupt sends exactly one SIGINT, lets tofu release its lock, and a later apply works', async () => {
    const work = tempDir('bench-tofu-interrupt-');
    const marker = join(work, 'provisioner.pid');
    const sigints = join(work, 'sigints');
    // Stands in for tofu: runs the real one in the background and appends a line to a file for
    // each SIGINT or SIGTERM it is sent. It passes a SIGINT on a second later, as a tofu waiting
    // for a cloud API would take a while to stop: any further signal in that time is counted too.
    const wrapper = join(work, 'tofu-counting-sigint');
    writeFileSync(
      wrapper,
      `#!/usr/bin/env bash
"${TOFU}" "$@" &
child=$!
trap 'echo SIGINT >> "${sigints}"; (sleep 1; kill -INT "$child" 2>/dev/null) &' INT
trap 'echo SIGTERM >> "${sigints}"; kill -TERM "$child" 2>/dev/null' TERM
while :; do
  wait "$child"; status=$?
  kill -0 "$child" 2>/dev/null || break
done
exit "$status"
`,
    );
    chmodSync(wrapper, 0o755);
    const controller = new AbortController();
    const progress: TofuProgress[] = [];
    const tofu = createTofu({
      moduleDir: slow,
      workDir: work,
      binary: wrapper,
      signal: controller.signal,
      interruptGraceMs: 20_000,
      onProgress: (p) => progress.push(p),
    });
    await tofu.init();

    const started = Date.now();
    const applying = tofu.apply({ marker });
    await waitFor(
      'the provisioner to start',
      () => existsSync(marker) && readFileSync(marker, 'utf8').trim() !== '',
      30_000,
    );
    const provisionerPid = Number(readFileSync(marker, 'utf8').trim());
    assert.ok(isAlive(provisionerPid));
    assert.equal(progress.at(-1)?.current, 'terraform_data.slow');

    // Meanwhile the state is locked: another apply that will not wait fails with the lock's code.
    const other = createTofu({ moduleDir: slow, workDir: work, binary: TOFU, lockTimeout: '0s' });
    const locked = await failure(other.apply({ marker }), InfrastructureError);
    assert.equal(locked.code, 'E_TOFU_LOCKED');
    assert.match(locked.message, /^tofu apply failed: Error acquiring the state lock/);
    assert.match(String(locked.data?.lockId), /^[0-9a-f-]{36}$/);
    assert.match(locked.fix ?? '', /let it finish.*last resort/);

    controller.abort();
    const err = await failure(applying, InterruptedError);
    const seconds = (Date.now() - started) / 1000;
    assert.ok(seconds < 30, `apply took ${seconds}s after the interrupt; the provisioner sleeps 60s`);
    assert.equal(err.code, 'E_INTERRUPTED');
    assert.equal(err.data?.command, 'apply');
    assert.equal(err.data?.forced, false, 'tofu stopped by itself, no SIGKILL');
    assert.deepEqual(readFileSync(sigints, 'utf8').split('\n').filter(Boolean), ['SIGINT'], 'exactly one SIGINT');
    assert.equal(isAlive(provisionerPid), false, 'tofu stopped its provisioner');
    assert.equal(existsSync(join(work, '.terraform.tfstate.lock.info')), false, 'the lock was released');
    assert.match(readFileSync(join(work, 'tofu.log'), 'utf8'), /Interrupt received/);

    // The lock can be taken again, and the interrupted resource is replaced.
    const again = createTofu({ moduleDir: slow, workDir: work, binary: wrapper });
    await again.apply({ marker, sleep_seconds: 0 });
    assert.deepEqual(await again.stateResources(), ['terraform_data.slow']);
    await again.destroy({ marker, sleep_seconds: 0 });

    // An interrupt before a command starts does not start it.
    const early = await failure(
      createTofu({ moduleDir: slow, workDir: work, binary: wrapper, signal: AbortSignal.abort() }).apply({ marker }),
      InterruptedError,
    );
    assert.equal(early.data?.started, false);
    assert.deepEqual(readFileSync(sigints, 'utf8').split('\n').filter(Boolean), ['SIGINT']);
    assertUntouched(slow);
  });

  it('kills a tofu that does not stop within the grace period', async () => {
    const work = tempDir('bench-tofu-stuck-');
    // A "tofu" that ignores SIGINT (an ignored signal stays ignored across exec).
    const stuck = join(work, 'tofu');
    writeFileSync(
      stuck,
      `#!/usr/bin/env bash\ntrap '' INT\necho '{"@message":"stuck for good","type":"log"}'\nexec sleep 30\n`,
    );
    chmodSync(stuck, 0o755);
    const controller = new AbortController();
    const progress: TofuProgress[] = [];
    const tofu = createTofu({
      moduleDir: halfway,
      workDir: work,
      binary: stuck,
      signal: controller.signal,
      interruptGraceMs: 300,
      onProgress: (p) => progress.push(p),
    });
    const applying = tofu.apply({});
    await waitFor('the first line', () => progress.some((p) => p.message === 'stuck for good'), 10_000);
    const started = Date.now();
    controller.abort();
    const err = await failure(applying, InterruptedError);
    assert.ok(Date.now() - started < 5000);
    assert.equal(err.data?.forced, true);
    assert.match(err.fix ?? '', /did not stop within 0\.3s and was killed/);
  });
});

describe('tofu adapter on infra/sandbox with moto', { timeout: 120_000 }, () => {
  const REGION = 'eu-central-1';
  const CLUSTER = 'tofu-adapter-t1';
  const RUN_ID = 'r20260101-tofu';
  const CA_DATA = Buffer.from('-----BEGIN CERTIFICATE-----\nadapter test\n').toString('base64');
  // Made in before(), not here: a suite skipped by --test-name-pattern runs no hook to remove it.
  let work: string;
  const progress: TofuProgress[] = [];
  let moto: Moto;
  let elbv2: ElasticLoadBalancingV2Client;
  let nlbArn: string | undefined;
  let tofu: ReturnType<typeof createTofu>;
  const vars = {
    cluster_name: CLUSTER,
    region: REGION,
    run_id: RUN_ID,
    expires_at: '2026-01-01T06:00:00Z',
    api_server_endpoint: 'https://127.0.0.1:16443',
    api_server_ca_data: CA_DATA,
    node_count: 2,
    python: PYTHON,
  };

  before(async () => {
    work = mkdtempSync(join(tmpdir(), 'bench-tofu-sandbox-'));
    moto = await startMoto(REGION);
    elbv2 = new ElasticLoadBalancingV2Client({
      endpoint: moto.endpoint,
      region: REGION,
      credentials: {
        accessKeyId: moto.env.AWS_ACCESS_KEY_ID as string,
        secretAccessKey: moto.env.AWS_SECRET_ACCESS_KEY as string,
      },
    });
    tofu = createTofu({
      moduleDir: SANDBOX_MODULE,
      workDir: work,
      binary: TOFU,
      env: moto.env,
      onProgress: (p) => progress.push(p),
    });
  });

  after(async () => {
    if (nlbArn) await elbv2.send(new DeleteLoadBalancerCommand({ LoadBalancerArn: nlbArn })).catch(() => {});
    elbv2?.destroy();
    await moto?.stop();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it('applies with live progress and returns the output contract', async () => {
    await tofu.init();
    assert.ok(progress.some((p) => p.command === 'init' && /successfully initialized/.test(p.message ?? '')));

    await tofu.apply(vars);
    const applied = progress.filter((p) => p.command === 'apply');
    assert.equal(applied[0]?.total, undefined, 'total is unknown before the plan');
    const firstStart = applied.findIndex((p) => p.current !== undefined);
    assert.ok(firstStart > 0);
    assert.equal(applied[firstStart]?.total, 3, 'total is known before the first resource starts');
    assert.deepEqual(
      [...new Set(applied.map((p) => p.current).filter(Boolean))],
      ['terraform_data.network', 'terraform_data.cluster', 'terraform_data.nodegroup'],
    );
    assert.ok(applied.some((p) => p.message === 'terraform_data.network: Creating...'));
    for (let i = 1; i < applied.length; i++) {
      assert.ok(applied[i]!.done >= applied[i - 1]!.done, 'done never goes back');
      assert.ok(applied[i]!.elapsedSeconds >= applied[i - 1]!.elapsedSeconds, 'elapsed never goes back');
    }
    const last = applied.at(-1)!;
    assert.deepEqual([last.done, last.total, last.current], [3, 3, undefined]);
    assert.ok(last.elapsedSeconds > applied[0]!.elapsedSeconds, 'elapsed grows');

    const outputs = await tofu.output();
    assert.deepEqual(Object.keys(outputs).sort(), [...MODULE_OUTPUTS]);
    assert.deepEqual(outputs.cluster_name, { value: CLUSTER, sensitive: false });
    assert.deepEqual(outputs.cluster_endpoint, { value: 'https://127.0.0.1:16443', sensitive: false });
    assert.deepEqual(outputs.cluster_certificate_authority_data, { value: CA_DATA, sensitive: true });
    assert.deepEqual((await tofu.stateResources()).sort(), [
      'terraform_data.cluster',
      'terraform_data.network',
      'terraform_data.nodegroup',
    ]);

    const log = readFileSync(join(work, 'tofu.log'), 'utf8');
    assert.match(log, /"type":"apply_complete"/);
    assert.doesNotMatch(log, new RegExp(moto.env.AWS_SECRET_ACCESS_KEY as string), 'no credentials in the log');
    assert.doesNotMatch(log, new RegExp(CA_DATA), 'no sensitive value in the log');
  });

  it('fails a destroy blocked by a load balancer with a DependencyViolation error teardown retries', async () => {
    const found = spawnSync(
      PYTHON,
      [
        '-c',
        `import json, sys, boto3
tags = lambda s: {t["Key"]: t["Value"] for t in s.get("Tags", [])}
subnets = boto3.client("ec2", region_name=sys.argv[2]).describe_subnets()["Subnets"]
print(json.dumps([s["SubnetId"] for s in subnets
    if tags(s).get("bench.dev/run-id") == sys.argv[1] and tags(s).get("kubernetes.io/role/elb") == "1"]))`,
        RUN_ID,
        REGION,
      ],
      { env: { ...process.env, ...moto.env }, encoding: 'utf8', timeout: 60_000 },
    );
    assert.equal(found.status, 0, found.stderr);
    const publicSubnets = JSON.parse(found.stdout) as string[];
    assert.equal(publicSubnets.length, 3);
    const created = await elbv2.send(
      new CreateLoadBalancerCommand({
        Name: 'k8s-adapter-lb',
        Type: 'network',
        Scheme: 'internet-facing',
        Subnets: publicSubnets,
        Tags: [{ Key: `kubernetes.io/cluster/${CLUSTER}`, Value: 'owned' }],
      }),
    );
    nlbArn = created.LoadBalancers?.[0]?.LoadBalancerArn;
    assert.ok(nlbArn);

    const err = await failure(tofu.destroy(vars), InfrastructureError);
    assert.equal(err.code, 'E_TOFU_DEPENDENCY_VIOLATION');
    assert.equal(isDependencyViolation(err), true);
    assert.match(err.message, /^tofu destroy failed: /);
    assert.ok(
      (err.data?.diagnostics as TofuDiagnostic[]).some((d) => /DependencyViolation: The vpc/.test(d.detail)),
      err.message,
    );
    assert.deepEqual(await tofu.stateResources(), ['terraform_data.network'], 'a retry knows what is left');
  });

  it('destroys everything once the load balancer is gone, and wrote nothing into the module', async () => {
    await elbv2.send(new DeleteLoadBalancerCommand({ LoadBalancerArn: nlbArn }));
    nlbArn = undefined;
    progress.length = 0;
    await tofu.destroy(vars);
    const last = progress.at(-1);
    assert.deepEqual([last?.command, last?.done, last?.total], ['destroy', 1, 1]);
    assert.deepEqual(await tofu.stateResources(), []);

    const status = spawnSync('git', ['status', '--porcelain', '--ignored', 'infra/'], { cwd: ROOT, encoding: 'utf8' });
    assert.equal(status.status, 0, status.stderr);
    // New files only (untracked or ignored): edits of the module in the work tree are not tofu's.
    const written = status.stdout.split('\n').filter((l) => l.startsWith('??') || l.startsWith('!!'));
    assert.deepEqual(written, [], 'tofu wrote into infra/');
    assert.equal(existsSync(join(SANDBOX_MODULE, '.terraform')), false);
    assert.ok(existsSync(join(work, 'terraform.tfstate')), 'the state is in the work dir');
  });
});

describe('isDependencyViolation', () => {
  it('recognises only the transient DependencyViolation kind', () => {
    assert.equal(isDependencyViolation(new InfrastructureError('E_TOFU_DEPENDENCY_VIOLATION', 'x')), true);
    assert.equal(isDependencyViolation(new InfrastructureError('E_TOFU', 'DependencyViolation in a message')), false);
    assert.equal(isDependencyViolation(Object.assign(new Error('x'), { name: 'DependencyViolation' })), true);
    assert.equal(isDependencyViolation(new Error('boom')), false);
    assert.equal(isDependencyViolation(undefined), false);
  });
});

describe('tofu runs detached from bench, its output in a file', { timeout: 90_000 }, () => {
  const detached = join(FIXTURES, '..', 'tofu-detached');

  it('streams progress from the output file and reports the real pid at start', async () => {
    const work = tempDir('bench-tofu-stream-');
    const done = join(work, 'done');
    const starts: TofuStart[] = [];
    const progress: TofuProgress[] = [];
    const tofu = createTofu({
      moduleDir: detached,
      workDir: work,
      binary: TOFU,
      onStart: (s) => {
        // Synchronous, right after the spawn: the process is there to be looked at.
        assert.ok(isTofuAlive(s.pid, TOFU, work), `pid ${s.pid} is the tofu of ${work}`);
        starts.push(s);
      },
      onProgress: (p) => progress.push(p),
    });
    await tofu.init();
    const applying = tofu.apply({ done_file: done, sleep_seconds: 3 });
    // Progress arrives while tofu runs (from the file), not only once it has finished.
    await waitFor(
      'the resource to be in progress',
      () => progress.at(-1)?.current === 'terraform_data.slow_write',
      20_000,
    );
    assert.equal(existsSync(done), false, 'still sleeping');
    const apply = starts.find((s) => s.command === 'apply');
    assert.ok(apply);
    assert.equal(readFileSync(`/proc/${apply.pid}/cmdline`, 'utf8').split('\0')[0], TOFU);
    assert.ok(existsSync(apply.stdoutPath), 'tofu writes its stdout to a file of the work dir');
    assert.match(readFileSync(apply.stdoutPath, 'utf8'), /"type":"apply_start"/);
    // Its own session: no pipe to us, no shared process group.
    const stat = readFileSync(`/proc/${apply.pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    assert.equal(Number(fields[2]), apply.pid, 'tofu leads its own process group');
    for (const fd of ['1', '2']) {
      const target = readlinkSync(`/proc/${apply.pid}/fd/${fd}`);
      assert.match(
        target,
        new RegExp(`^${work}/apply\\.`),
        `fd ${fd} is a file of the work dir, not a pipe: ${target}`,
      );
    }
    assert.equal(stateLockHolder(work), apply.pid, 'the state lock is held by the running tofu');
    await applying;
    assert.equal(isTofuAlive(apply.pid, TOFU), false);
    assert.equal(stateLockHolder(work), undefined);
    assert.deepEqual(
      starts.map((s) => s.command),
      ['init', 'apply'],
    );
    const last = progress.at(-1);
    assert.deepEqual([last?.done, last?.total], [1, 1]);
    // The output files are gone once their lines are in tofu.log.
    assert.equal(existsSync(apply.stdoutPath), false);
    assert.match(readFileSync(join(work, 'tofu.log'), 'utf8'), /sleeping 3/);
    assert.deepEqual(await tofu.stateResources(), ['terraform_data.slow_write']);
  });

  it('keeps no file of `output -json`, whose values may be sensitive', async () => {
    const work = tempDir('bench-tofu-output-file-');
    const tofu = createTofu({ moduleDir: join(FIXTURES, 'halfway'), workDir: work, binary: TOFU });
    await tofu.init();
    await tofu.apply({ fail: false });
    assert.equal((await tofu.output()).token?.value, 'fixture-token-not-a-secret');
    // The state holds output values by nature (tofu's own file); nothing of ours may.
    const ours = readdirSync(work).filter(
      (f) => !/^terraform\.tfstate(\.backup)?$/.test(f) && statSync(join(work, f)).isFile(),
    );
    assert.ok(ours.includes('tofu.log'));
    assert.deepEqual(
      ours.filter((f) => /\.(stdout|stderr)$/.test(f)),
      [],
      'no output file is left behind',
    );
    for (const f of ours)
      assert.doesNotMatch(readFileSync(join(work, f), 'utf8'), /fixture-token-not-a-secret/, `${f} holds the secret`);
  });

  it('finishes an apply when the process that started it is SIGKILLed mid-apply; the wait sees it', async () => {
    const work = tempDir('bench-tofu-orphan-');
    const runDir = join(work, 'run');
    mkdirSync(runDir);
    const journalPath = join(runDir, 'journal');
    const done = join(work, 'done');
    const parent = spawn(process.execPath, [join(detached, 'apply.ts'), join(work, 'tofu'), journalPath, TOFU, done], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    parent.stdout.on('data', (d: Buffer) => (output += d.toString()));
    parent.stderr.on('data', (d: Buffer) => (output += d.toString()));
    const exited = new Promise<NodeJS.Signals | null>((r) => parent.once('exit', (_code, signal) => r(signal)));
    await waitFor(
      'the apply to be under way',
      () => /tofu apply \d\/1 terraform_data\.slow_write/.test(output),
      30_000,
    );
    const records = () => readJournal(journalPath).records;
    const apply = recordedTofus(records()).find((t) => t.command === 'apply');
    assert.ok(apply, `the journal records the apply's pid: ${JSON.stringify(records())}`);
    assert.equal(apply.host, hostname());
    parent.kill('SIGKILL');
    assert.equal(await exited, 'SIGKILL');
    assert.doesNotMatch(output, /applied/);

    // Well past the ~0.3 s a broken pipe took: tofu is still there, and bench list would say so.
    await new Promise((r) => setTimeout(r, 1000));
    assert.ok(isTofuAlive(apply.pid, TOFU, join(work, 'tofu')), 'tofu outlived its parent');
    assert.equal(existsSync(done), false, 'the provisioner is still sleeping');
    assert.deepEqual(
      liveTofus(records(), isRecordedTofuAlive).map((t) => t.pid),
      [apply.pid],
    );
    // bench list: the run crashed, and its tofu is still at work.
    const summary = summarizeRun(runDir, 'r-orphan', isRecordedTofuAlive);
    assert.equal(summary?.status, 'crashed');
    assert.deepEqual(summary?.tofu, { pid: apply.pid, command: 'apply', alive: true });
    const listed = formatRunList({ runsDir: work, runs: [summary], verified: false });
    assert.match(listed, /crashed, tofu apply running/);
    assert.match(
      listed,
      new RegExp(`r-orphan: tofu apply still running \\(pid ${apply.pid}\\); \`bench cleanup r-orphan\` waits for it`),
    );
    const waits: TofuWait[] = [];
    const waited = await waitForRunTofu(records(), join(work, 'tofu'), {
      pollMs: 100,
      deadlineMs: 60_000,
      onWait: (w) => waits.push(w),
    });
    assert.deepEqual(waited.waitedFor, { pid: apply.pid, command: 'apply' });
    assert.ok(waits.length > 0 && waits[0]?.tofu?.pid === apply.pid);
    assert.equal(isTofuAlive(apply.pid, TOFU), false);
    assert.equal(readFileSync(done, 'utf8').trim(), 'done', 'the provisioner finished');
    const state = JSON.parse(readFileSync(join(work, 'tofu', 'terraform.tfstate'), 'utf8')) as {
      resources: { type: string; name: string }[];
    };
    assert.deepEqual(
      state.resources.map((r) => `${r.type}.${r.name}`),
      ['terraform_data.slow_write'],
      'the state holds what the orphaned apply created',
    );
    assert.equal(stateLockHolder(join(work, 'tofu')), undefined, 'the lock was released');
    assert.equal(
      summarizeRun(runDir, 'r-orphan', isRecordedTofuAlive)?.tofu,
      undefined,
      'once it has finished, list says nothing of it',
    );
    // What tofu printed after its parent died is in its output file.
    assert.match(readFileSync(apply.stdout as string, 'utf8'), /"type":"apply_complete"/);
    assertUntouched(detached, ['apply.ts', 'main.tf']);
  });
});

describe('waitForRunTofu', () => {
  const records = (pid: number): JournalRecord[] => [
    {
      t: '2026-01-01T00:00:00.000Z',
      type: 'note',
      phase: 'provision',
      message: 'tofu apply started',
      data: { tofuPid: pid, command: 'apply', binary: '/x/tofu', workDir: '/w', host: hostname(), stdout: '/w/o' },
    },
  ];

  it('returns at once when no recorded tofu runs and nobody holds the lock', async () => {
    const result = await waitForRunTofu(records(1), '/w', { isTofuLive: () => false, lockHolder: () => undefined });
    assert.deepEqual(result.waitedFor, undefined);
  });

  it('waits for a live tofu, then for a live lock holder', async () => {
    let polls = 0;
    const result = await waitForRunTofu(records(42), '/w', {
      pollMs: 1,
      isTofuLive: (t) => t.pid === 42 && polls < 3,
      lockHolder: () => (polls++ < 5 ? 77 : undefined),
    });
    assert.deepEqual(result.waitedFor, { pid: 42, command: 'apply' });
    assert.equal(polls, 6);
  });

  it('fails at the deadline naming the pid and the fix, and stops on abort', async () => {
    const err = await failure(
      waitForRunTofu(records(42), '/w', { pollMs: 5, deadlineMs: 30, isTofuLive: () => true }),
      InfrastructureError,
    );
    assert.equal(err.code, 'E_TOFU_STILL_RUNNING');
    assert.match(err.message, /tofu apply \(pid 42\) is still running/);
    assert.match(err.fix ?? '', /kill -INT 42/);
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 20);
    await failure(
      waitForRunTofu(records(42), '/w', { pollMs: 1000, signal: controller.signal, isTofuLive: () => true }),
      InterruptedError,
    );
  });
});
