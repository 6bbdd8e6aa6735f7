import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readdirSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startMoto, type Moto } from '../harness/moto.ts';
import { freePort } from '../harness/net.ts';
import { sandboxBin } from '../harness/paths.ts';
import { ROOT, type CliResult } from '../helpers/cli.ts';
import { tempDir } from '../helpers/tmp.ts';

/**
 * Runs a bin in a child process without blocking this one (the check-ip server below answers from
 * this process). stdin is a pipe, not a terminal: nobody is there to confirm.
 */
function runCliAsync(
  bin: 'bench' | 'koorde-bench',
  args: string[],
  env: NodeJS.ProcessEnv,
): Promise<CliResult & { ms: number }> {
  const started = Date.now();
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [`${ROOT}/bin/${bin}`, ...args], {
      cwd: ROOT,
      env: { ...env, NO_COLOR: '1' },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 90_000);
    child.on('close', (status) => {
      clearTimeout(timer);
      resolve({ status, stdout, stderr, ms: Date.now() - started });
    });
  });
}

describe('bench run / compare on aws: the preflight refuses before anything exists', { timeout: 240_000 }, () => {
  let moto: Moto;
  let checkIp: Server;
  let checkIpUrl: string;
  let asked = 0;
  before(async () => {
    moto = await startMoto('eu-central-1');
    checkIp = createServer((req, res) => {
      asked += 1;
      res.end(`${req.socket.remoteAddress}\n`);
    });
    await new Promise<void>((resolve) => checkIp.listen(0, '127.0.0.1', resolve));
    checkIpUrl = `http://127.0.0.1:${(checkIp.address() as AddressInfo).port}/`;
  });
  after(async () => {
    await new Promise((resolve) => checkIp?.close(resolve));
    await moto?.stop();
  });

  const setup = () => {
    const runsDir = tempDir('bench-preflight-cli-');
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      ...moto.env,
      BENCH_RUNS_DIR: runsDir,
      BENCH_TOFU_BIN: sandboxBin('tofu'),
      BENCH_CHECKIP_URL: checkIpUrl,
      RAMPUP_MINUTES: '',
      ACTIVE_MINUTES: '',
      COOLDOWN_MINUTES: '',
    };
    return { runsDir, env };
  };

  /** Nothing in the runs dir, and `bench list` shows no run (so nothing alive). */
  async function assertNothingCreated(runsDir: string, env: NodeJS.ProcessEnv): Promise<void> {
    assert.deepEqual(readdirSync(runsDir), [], 'no run directory');
    const list = await runCliAsync('bench', ['list', '--json'], env);
    assert.equal(list.status, 0, list.stderr);
    assert.deepEqual((JSON.parse(list.stdout) as { runs: unknown[] }).runs, []);
  }

  it('without a terminal and without --yes exits 2 with the fix "add --yes"', async () => {
    const { runsDir, env } = setup();
    const before = asked;
    const r = await runCliAsync('bench', ['run', 'thyme', '--target', 'aws'], env);
    assert.equal(r.status, 2, r.stdout + r.stderr);
    assert.match(r.stderr, /needs a yes, and there is no terminal to ask/);
    assert.match(r.stderr, /add --yes/);
    // The checks before it ran and were shown: the credentials, the address, the estimate.
    assert.match(r.stderr, /preflight\s+AWS account 123456789012/);
    assert.match(r.stderr, /estimated cost: about \$\d+\.\d\d for the whole run/);
    assert.equal(asked - before, 1, 'check-ip asked once');
    assert.ok(!(r.stdout + r.stderr).includes(moto.env.AWS_SECRET_ACCESS_KEY as string));
    await assertNothingCreated(runsDir, env);
  });

  it('--max-cost below the estimate exits 2 and creates nothing, --yes or not', async () => {
    const { runsDir, env } = setup();
    const r = await runCliAsync('bench', ['run', 'thyme', '--target', 'aws', '--yes', '--max-cost', '0.01'], env);
    assert.equal(r.status, 2, r.stdout + r.stderr);
    assert.match(r.stderr, /estimated cost, \$\d+\.\d\d, is above --max-cost 0\.01/);
    const json = await runCliAsync('bench', ['run', 'thyme', '--target', 'aws', '--max-cost', '0.01', '--json'], env);
    assert.equal(json.status, 2);
    assert.equal((JSON.parse(json.stdout) as { error: { code: string } }).error.code, 'E_MAX_COST');
    const bad = await runCliAsync('bench', ['run', 'thyme', '--target', 'aws', '--max-cost', 'lots'], env);
    assert.equal(bad.status, 2);
    assert.match(bad.stderr, /--max-cost lots: expected an amount in USD/);
    await assertNothingCreated(runsDir, env);
  });

  it('compare counts every trial in its estimate, and --max-cost refuses it', async () => {
    const { runsDir, env } = setup();
    const r = await runCliAsync(
      'koorde-bench',
      [
        'compare',
        'chord',
        'koorde',
        '--target',
        'aws',
        '--yes',
        '--max-cost',
        '0.01',
        '--var',
        'api_allowed_cidrs=["203.0.113.7/32"]',
      ],
      env,
    );
    assert.equal(r.status, 2, r.stdout + r.stderr);
    const total = Number(/estimated cost, \$(\d+\.\d\d)/.exec(r.stderr)?.[1]);
    const single = await runCliAsync('bench', ['plan', 'koorde', '--target', 'aws', '--json'], env);
    const plan = JSON.parse(single.stdout) as { cost: { total: number } };
    assert.ok(total > plan.cost.total, `the comparison's $${total} is more than one run's $${plan.cost.total}`);
    await assertNothingCreated(runsDir, env);
  });

  it('without any AWS credentials exits 2 at once and creates nothing', async () => {
    const { runsDir, env } = setup();
    const empty = tempDir('bench-preflight-cli-aws-');
    writeFileSync(join(empty, 'config'), '');
    writeFileSync(join(empty, 'credentials'), '');
    const bare: NodeJS.ProcessEnv = {
      ...env,
      // A closed loopback port: nothing here may reach a real AWS endpoint.
      AWS_ENDPOINT_URL: `http://127.0.0.1:${await freePort()}`,
      AWS_CONFIG_FILE: join(empty, 'config'),
      AWS_SHARED_CREDENTIALS_FILE: join(empty, 'credentials'),
      AWS_EC2_METADATA_DISABLED: 'true',
    };
    for (const name of ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN', 'AWS_PROFILE'])
      delete bare[name];
    const r = await runCliAsync('bench', ['run', 'thyme', '--target', 'aws', '--yes'], bare);
    assert.equal(r.status, 2, r.stdout + r.stderr);
    assert.match(r.stderr, /no AWS credentials found/);
    assert.match(r.stderr, /AWS_PROFILE/);
    assert.ok(r.ms < 15_000, `took ${r.ms} ms`);
    await assertNothingCreated(runsDir, bare);
  });
});
