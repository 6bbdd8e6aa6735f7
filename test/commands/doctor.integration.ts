import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startMoto, type Moto } from '../harness/moto.ts';
import { sandboxBin } from '../harness/paths.ts';
import { runCli } from '../helpers/cli.ts';
import { tempDir } from '../helpers/tmp.ts';

describe('bench doctor', () => {
  let moto: Moto;
  before(async () => {
    moto = await startMoto();
  });
  after(async () => {
    await moto.stop();
  });

  it('exits 0 when every check passes', () => {
    const r = runCli('bench', ['doctor', '--suite', 'thyme'], {
      env: { ...moto.env, BENCH_TOFU_BIN: sandboxBin('tofu') },
    });
    assert.equal(r.status, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /^ok {4}tofu: OpenTofu 1\.\d+\.\d+ \(/m);
    assert.match(r.stdout, /^ok {4}aws credentials: account 123456789012/m);
    assert.match(r.stdout, /Ready for target aws\./);
    assert.ok(!(r.stdout + r.stderr).includes(moto.env.AWS_SECRET_ACCESS_KEY as string));
  });

  it('checks the credentials even when no region is known, and says which flag or variable gives one', () => {
    const env: NodeJS.ProcessEnv = {
      ...moto.env,
      BENCH_TOFU_BIN: sandboxBin('tofu'),
      AWS_REGION: '',
      AWS_DEFAULT_REGION: '',
    };
    const r = runCli('bench', ['doctor'], { env });
    assert.equal(r.status, 3, r.stdout + r.stderr);
    assert.match(r.stdout, /^FAIL {2}aws region: no region given.*\n {6}fix: pass --region .*AWS_REGION/m);
    assert.match(r.stdout, /^ok {4}aws credentials: account 123456789012/m);
    // The AWS CLI's variable counts too.
    const cli = runCli('bench', ['doctor'], { env: { ...env, AWS_DEFAULT_REGION: 'ap-south-1' } });
    assert.equal(cli.status, 0, cli.stdout + cli.stderr);
    assert.match(cli.stdout, /^ok {4}aws region: ap-south-1/m);
  });

  it('exits 3 with the fix when a check fails, as text and as JSON', () => {
    const env = { ...moto.env, BENCH_TOFU_BIN: join(tempDir(), 'missing-tofu') };
    const r = runCli('bench', ['doctor'], { env });
    assert.equal(r.status, 3);
    assert.match(
      r.stdout,
      /^FAIL {2}tofu: BENCH_TOFU_BIN=\S+ is neither OpenTofu nor Terraform, or does not run\n {6}fix: install OpenTofu/m,
    );
    const json = runCli('bench', ['doctor', '--json'], { env });
    assert.equal(json.status, 3);
    const body = JSON.parse(json.stdout) as { ok: boolean; checks: { name: string; status: string }[] };
    assert.equal(body.ok, false);
    assert.equal(body.checks.find((c) => c.name === 'tofu')?.status, 'fail');
  });
});
