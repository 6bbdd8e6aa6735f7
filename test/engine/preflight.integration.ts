import assert from 'node:assert/strict';
import { chmodSync, readdirSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createToolProbe, type TofuBinary, type ToolProbe } from '../../src/adapters/tools.ts';
import type { BenchError } from '../../src/errors.ts';
import { InfrastructureError, UsageError } from '../../src/errors.ts';
import { planRun } from '../../src/engine/plan.ts';
import { parseCidrList } from '../../src/phases/provision.ts';
import { selectTofu, type Confirm } from '../../src/engine/preflight.ts';
import { prepareRun, type RunOptions } from '../../src/engine/run/context.ts';
import { EventBus, type BenchEvent } from '../../src/run/events.ts';
import { readJournal } from '../../src/run/journal.ts';
import type { TargetSetup } from '../../src/targets/target.ts';
import { startMoto, type Moto } from '../harness/moto.ts';
import { freePort } from '../harness/net.ts';
import { sandboxBin } from '../harness/paths.ts';
import { withProcessEnv } from '../helpers/env.ts';
import { tempDir } from '../helpers/tmp.ts';
import { failure } from '../helpers/failure.ts';

/** A stand-in for https://checkip.amazonaws.com on loopback: answers the caller's address, as AWS's does. */
async function startCheckIp(
  body?: string,
): Promise<{ url: string; requests: () => number; close: () => Promise<void> }> {
  let requests = 0;
  const server: Server = createServer((req, res) => {
    requests += 1;
    res.writeHead(200, { 'content-type': 'text/plain' });
    res.end(body ?? `${req.socket.remoteAddress}\n`);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/`,
    requests: () => requests,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

describe('preflight of a run on aws (moto answers STS, a local server answers check-ip)', { timeout: 120_000 }, () => {
  let moto: Moto;
  let checkIp: Awaited<ReturnType<typeof startCheckIp>>;
  let env: NodeJS.ProcessEnv;
  before(async () => {
    moto = await startMoto('eu-central-1');
    checkIp = await startCheckIp();
  });
  after(async () => {
    await checkIp?.close();
    await moto?.stop();
  });

  /** prepareRun of thyme on aws in a runs dir of its own; the events it emitted. */
  function options(extra: Partial<RunOptions> = {}): { options: RunOptions; runsDir: string; events: BenchEvent[] } {
    const runsDir = tempDir('bench-preflight-runs-');
    const bus = new EventBus();
    const events: BenchEvent[] = [];
    bus.subscribe((e) => events.push(e));
    env = {
      ...process.env,
      ...moto.env,
      BENCH_TOFU_BIN: sandboxBin('tofu'),
      BENCH_CHECKIP_URL: checkIp.url,
      RAMPUP_MINUTES: '',
      ACTIVE_MINUTES: '',
      COOLDOWN_MINUTES: '',
    };
    return {
      options: { suite: 'thyme', target: 'aws', runsDir, env, events: bus, ...extra },
      runsDir,
      events,
    };
  }

  it('checks tofu, the credentials and the address, shows the cost, and with --yes journals the tofu it chose', async () => {
    const asked = checkIp.requests();
    const { options: o, runsDir, events } = options({ yes: true });
    const ctx = await prepareRun(o);
    try {
      assert.deepEqual(readdirSync(runsDir), [ctx.runId]);
      const start = readJournal(ctx.journal.path).records.find((r) => r.type === 'run-start') as unknown as {
        options: { tofu: { binary: string; kind: string; version: string } };
      };
      assert.equal(start.options.tofu.binary, sandboxBin('tofu'));
      assert.equal(start.options.tofu.kind, 'tofu');
      assert.match(start.options.tofu.version, /^1\.\d+\.\d+/);
      // The EKS endpoint's allow-list is the caller's address as the check-ip server saw it, asked once.
      assert.deepEqual(ctx.tofuPlan?.variables.api_allowed_cidrs, ['127.0.0.1/32']);
      assert.equal(checkIp.requests() - asked, 1);

      const codes = events.filter((e) => e.phase === 'preflight').map((e) => e.code);
      assert.deepEqual(codes, [
        'phase.start',
        'preflight.tofu',
        'preflight.credentials',
        'preflight.api-allowed-cidrs',
        'preflight.cost',
        'phase.end',
      ]);
      const credentials = events.find((e) => e.code === 'preflight.credentials');
      assert.match(credentials?.message ?? '', /AWS account 123456789012/);
      const cost = events.find((e) => e.code === 'preflight.cost');
      const plan = await planRun({ suite: 'thyme', target: 'aws', env });
      assert.equal(cost?.data?.total, plan.cost.total, "the estimate is bench plan's");
      assert.ok(plan.cost.total > 1, `a thyme run on EKS costs dollars, not ${plan.cost.total}`);
      assert.match(cost?.message ?? '', new RegExp(`about \\$${plan.cost.total.toFixed(2)} for the whole run`));
      // The live view keeps a phase's last word: it still says the account, region and cost.
      const ready = events.find((e) => e.phase === 'preflight' && e.code === 'phase.end');
      assert.equal(
        ready?.message,
        `ready: account 123456789012 in eu-central-1, estimated about $${plan.cost.total.toFixed(2)} for the whole run`,
      );
      assert.ok(!JSON.stringify(events).includes(moto.env.AWS_SECRET_ACCESS_KEY as string), 'no secret in events');
    } finally {
      ctx.journal.close();
    }
  });

  it('takes --var api_allowed_cidrs as given and then does not ask check-ip', async () => {
    const asked = checkIp.requests();
    const { options: o } = options({
      yes: true,
      variables: { api_allowed_cidrs: '["198.51.100.0/24", "203.0.113.7/32"]' },
    });
    const ctx = await prepareRun(o);
    ctx.journal.close();
    assert.deepEqual(ctx.tofuPlan?.variables.api_allowed_cidrs, ['198.51.100.0/24', '203.0.113.7/32']);
    assert.equal(checkIp.requests(), asked, 'check-ip was not asked');
  });

  it('rejects a bad --var api_allowed_cidrs before asking anyone anything, creating nothing', async () => {
    const asked = checkIp.requests();
    const { options: o, runsDir, events } = options({ yes: true, variables: { api_allowed_cidrs: 'everyone' } });
    const err = await failure(prepareRun(o), UsageError);
    assert.equal(err.exitCode, 2);
    assert.match(err.message, /api_allowed_cidrs/);
    assert.deepEqual(readdirSync(runsDir), []);
    assert.deepEqual(events, [], 'no preflight step ran');
    assert.equal(checkIp.requests(), asked);
  });

  it('asks the person at the terminal, and a no creates nothing', async () => {
    const questions: string[] = [];
    const no: Confirm = async (q) => {
      questions.push(q);
      return false;
    };
    const { options: o, runsDir, events } = options({ confirm: no });
    const err = await failure(prepareRun(o), UsageError);
    assert.equal(err.code, 'E_NOT_CONFIRMED');
    assert.match(err.fix ?? '', /--yes/);
    assert.deepEqual(readdirSync(runsDir), []);
    assert.equal(questions.length, 1);
    assert.match(
      questions[0] ?? '',
      /^Create the cluster in eu-central-1 and run \(about \$\d+\.\d\d: \$\d+\.\d\d\/h for ~\d+\.\d h\)\?$/,
    );
    // The question is shown by the UI from the event, before the answer is read.
    assert.match(events.find((e) => e.code === 'preflight.confirm')?.message ?? '', /\? \[y\/N\]$/);
    assert.equal(events.at(-1)?.code, 'phase.failed');

    const yes: Confirm = async () => true;
    const second = options({ confirm: yes });
    const ctx = await prepareRun(second.options);
    ctx.journal.close();
    assert.deepEqual(readdirSync(second.runsDir), [ctx.runId]);
  });

  it('refuses without a terminal and without --yes (exit 2), and creates nothing', async () => {
    const { options: o, runsDir } = options();
    const err = await failure(prepareRun(o), UsageError);
    assert.equal(err.code, 'E_CONFIRM');
    assert.equal(err.exitCode, 2);
    assert.match(err.fix ?? '', /add --yes/);
    assert.deepEqual(readdirSync(runsDir), []);
  });

  it('refuses a run whose estimate is above --max-cost before asking anyone', async () => {
    let asked = false;
    const { options: o, runsDir } = options({
      maxCost: 0.01,
      confirm: async () => {
        asked = true;
        return true;
      },
    });
    const err = await failure(prepareRun(o), UsageError);
    assert.equal(err.code, 'E_MAX_COST');
    assert.match(err.message, /estimated cost, \$\d+\.\d\d, is above --max-cost 0\.01/);
    assert.equal(asked, false);
    assert.deepEqual(readdirSync(runsDir), []);
    // A cap above the estimate lets the run start.
    const plan = await planRun({ suite: 'thyme', target: 'aws', env });
    const ok = options({ yes: true, maxCost: plan.cost.total + 1 });
    const ctx = await prepareRun(ok.options);
    ctx.journal.close();
    assert.deepEqual(readdirSync(ok.runsDir), [ctx.runId]);
  });

  it('fails with the fix when check-ip answers something that is not an address', async () => {
    const bad = await startCheckIp('<html>captive portal</html>');
    try {
      const { options: o, runsDir } = options({ yes: true });
      o.env = { ...o.env, BENCH_CHECKIP_URL: bad.url };
      const err = await failure(prepareRun(o), InfrastructureError);
      assert.equal(err.code, 'E_CHECKIP');
      assert.match(err.message, /not an IPv4 address/);
      assert.match(err.fix ?? '', /--var 'api_allowed_cidrs=\["203\.0\.113\.7\/32"\]'/);
      assert.deepEqual(readdirSync(runsDir), []);
    } finally {
      await bad.close();
    }
  });

  it('without any credentials fails at once with exit 2 and creates nothing', async () => {
    const empty = tempDir('bench-preflight-aws-');
    writeFileSync(join(empty, 'config'), '');
    writeFileSync(join(empty, 'credentials'), '');
    const closed = await freePort();
    const { options: o, runsDir } = options({ yes: true });
    const bare: NodeJS.ProcessEnv = {
      ...o.env,
      AWS_ENDPOINT_URL: `http://127.0.0.1:${closed}`,
      AWS_CONFIG_FILE: join(empty, 'config'),
      AWS_SHARED_CREDENTIALS_FILE: join(empty, 'credentials'),
      AWS_EC2_METADATA_DISABLED: 'true',
    };
    for (const name of ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN', 'AWS_PROFILE'])
      delete bare[name];
    // The SDK's default chain reads the process environment itself.
    const started = Date.now();
    const err = await withProcessEnv(
      {
        AWS_ACCESS_KEY_ID: undefined,
        AWS_SECRET_ACCESS_KEY: undefined,
        AWS_SESSION_TOKEN: undefined,
        AWS_PROFILE: undefined,
        AWS_CONFIG_FILE: bare.AWS_CONFIG_FILE,
        AWS_SHARED_CREDENTIALS_FILE: bare.AWS_SHARED_CREDENTIALS_FILE,
        AWS_EC2_METADATA_DISABLED: 'true',
        AWS_ENDPOINT_URL: bare.AWS_ENDPOINT_URL,
      },
      () => failure(prepareRun({ ...o, env: bare }), UsageError),
    );
    assert.ok(Date.now() - started < 10_000, `took ${Date.now() - started} ms`);
    assert.equal(err.code, 'E_AWS_CREDENTIALS');
    assert.match(err.message, /no AWS credentials found/);
    assert.match(err.fix ?? '', /AWS_PROFILE/);
    assert.deepEqual(readdirSync(runsDir), []);
  });

  it('with credentials but no STS to answer fails as infrastructure (exit 3), creating nothing', async () => {
    const closed = await freePort();
    const { options: o, runsDir } = options({ yes: true });
    const err = await failure(
      prepareRun({ ...o, env: { ...o.env, AWS_ENDPOINT_URL: `http://127.0.0.1:${closed}` } }),
      InfrastructureError,
    );
    assert.equal(err.code, 'E_AWS_UNREACHABLE');
    assert.equal(err.exitCode, 3);
    assert.deepEqual(readdirSync(runsDir), []);
  });
});

describe('bench plan shows the EKS endpoint allow-list', () => {
  it("as the caller's address determined at run time, or the --var given, checked", async () => {
    const env = { ...process.env, RAMPUP_MINUTES: '', ACTIVE_MINUTES: '', COOLDOWN_MINUTES: '' };
    const plan = await planRun({ suite: 'thyme', target: 'aws', env });
    assert.equal(plan.tofu?.variables.api_allowed_cidrs, "<caller's public address>/32, determined at run time");
    const given = await planRun({
      suite: 'thyme',
      target: 'aws',
      env,
      variables: { api_allowed_cidrs: '["10.1.0.0/16"]' },
    });
    assert.deepEqual(given.tofu?.variables.api_allowed_cidrs, ['10.1.0.0/16']);
    for (const bad of ['10.1.0.1/16', 'everyone', '']) {
      await assert.rejects(
        () => planRun({ suite: 'thyme', target: 'aws', env, variables: { api_allowed_cidrs: bad } }),
        // bench's own parser, or the module's validation rule (evaluated by OpenTofu first for some values).
        (err: BenchError) =>
          err.exitCode === 2 &&
          /expected IPv4 CIDR blocks|api_allowed_cidrs must be a non-empty list of IPv4 CIDR blocks/.test(err.message),
      );
    }
    // Written as a list or separated by commas; each entry a network address with its prefix.
    assert.deepEqual(parseCidrList('203.0.113.7/32, 10.0.0.0/8'), ['203.0.113.7/32', '10.0.0.0/8']);
    assert.deepEqual(parseCidrList('["0.0.0.0/0"]'), ['0.0.0.0/0']);
    for (const bad of ['[]', '["10.0.0.1/8"]', '10.0.0.0/33', '10.0.0.0', '::/0', '[1]', '0x7f.1/32']) {
      assert.throws(() => parseCidrList(bad), UsageError, bad);
    }
    // The local cloud's module has no such variable: nothing to show there.
    const sandbox = await planRun({ suite: 'thyme', target: 'sandbox', env });
    assert.equal(sandbox.tofu?.variables.api_allowed_cidrs, undefined);
  });
});

describe('choosing the tofu binary', () => {
  const found = (name: 'tofu' | 'terraform'): TofuBinary => ({ name, path: `/opt/${name}`, version: '1.2.3' });
  const probe = (onPath: TofuBinary | undefined, byPath: Record<string, TofuBinary> = {}): ToolProbe => ({
    findTofu: async () => onPath,
    probeTofu: async (binary) => byPath[binary],
  });
  const setup = (target: TargetSetup['target'], env: NodeJS.ProcessEnv = {}): TargetSetup => ({
    target,
    region: 'eu-central-1',
    env,
  });
  const recorder = () => {
    const bus = new EventBus();
    const events: BenchEvent[] = [];
    bus.subscribe((e) => events.push(e));
    return { bus, events };
  };

  it('on aws takes terraform only when no tofu is found, with a warning', async () => {
    const { bus, events } = recorder();
    assert.deepEqual(await selectTofu(setup('aws'), probe(found('terraform')), bus), found('terraform'));
    const warning = events.find((e) => e.level === 'warn');
    assert.equal(warning?.code, 'preflight.tofu');
    assert.match(warning?.message ?? '', /no OpenTofu found: using Terraform 1\.2\.3/);

    const quiet = recorder();
    assert.deepEqual(await selectTofu(setup('aws'), probe(found('tofu')), quiet.bus), found('tofu'));
    assert.equal(
      quiet.events.some((e) => e.level === 'warn'),
      false,
    );
    const none = await failure(selectTofu(setup('aws'), probe(undefined), recorder().bus), UsageError);
    assert.equal(none.code, 'E_TOFU_MISSING');
  });

  it('on the local cloud always takes its own pinned tofu, whatever is on PATH', async () => {
    const cache = tempDir('bench-preflight-cache-');
    const pinned = join(cache, 'sandbox', 'bin', 'tofu');
    const tofuOf = { [pinned]: { name: 'tofu' as const, path: pinned, version: '1.12.6' } };
    const { bus, events } = recorder();
    const chosen = await selectTofu(setup('sandbox', { BENCH_CACHE: cache }), probe(found('terraform'), tofuOf), bus);
    assert.equal(chosen.path, pinned);
    // A BENCH_TOFU_BIN that is a terraform (or another tofu version) is passed over, and said so.
    const other = '/usr/local/bin/terraform';
    const passed = await selectTofu(
      setup('sandbox', { BENCH_CACHE: cache, BENCH_TOFU_BIN: other }),
      probe(undefined, { ...tofuOf, [other]: { name: 'terraform', path: other, version: '1.11.4' } }),
      bus,
    );
    assert.equal(passed.path, pinned);
    assert.match(
      events.find((e) => e.level === 'warn')?.message ?? '',
      /is Terraform 1\.11\.4, not the local cloud's OpenTofu 1\.12\.6/,
    );
    // A wrapper around the same tofu (as tests use) is taken.
    const wrapper = '/tmp/tofu-wrapper';
    const wrapped = await selectTofu(
      setup('sandbox', { BENCH_CACHE: cache, BENCH_TOFU_BIN: wrapper }),
      probe(undefined, { ...tofuOf, [wrapper]: { name: 'tofu', path: wrapper, version: '1.12.6' } }),
      recorder().bus,
    );
    assert.equal(wrapped.path, wrapper);

    const missing = await failure(
      selectTofu(setup('sandbox', { BENCH_CACHE: tempDir() }), probe(found('tofu')), recorder().bus),
      UsageError,
    );
    assert.equal(missing.code, 'E_TOFU_MISSING');
    assert.match(missing.fix ?? '', /bash test\/harness\/install\.sh tofu/);
  });

  it('tells OpenTofu from Terraform by the banner of the binary itself', async () => {
    const real = await createToolProbe().probeTofu(sandboxBin('tofu'));
    assert.equal(real?.name, 'tofu');
    assert.match(real?.version ?? '', /^1\.\d+\.\d+$/);
    // Named `tofu`, but a Terraform: its banner says so (as `terraform version` prints it).
    const dir = tempDir('bench-preflight-bin-');
    const impostor = join(dir, 'tofu');
    writeFileSync(impostor, '#!/bin/sh\nprintf "Terraform v1.11.4\\non linux_amd64\\n"\n');
    chmodSync(impostor, 0o755);
    assert.deepEqual(await createToolProbe({ ...process.env, PATH: `${dir}:/usr/bin:/bin` }).findTofu(), {
      name: 'terraform',
      path: 'tofu',
      version: '1.11.4',
    });
    const notTofu = join(dir, 'not-tofu');
    writeFileSync(notTofu, '#!/bin/sh\necho hello\n');
    chmodSync(notTofu, 0o755);
    assert.equal(await createToolProbe().probeTofu(notTofu), undefined);
  });
});
