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
    assert.match(r.stdout, /^ok {4}tofu: tofu 1\./m);
    assert.match(r.stdout, /^ok {4}aws credentials: account 123456789012/m);
    assert.match(r.stdout, /Ready for target aws\./);
    assert.ok(!(r.stdout + r.stderr).includes(moto.env.AWS_SECRET_ACCESS_KEY as string));
  });

  it('exits 3 with the fix when a check fails, as text and as JSON', () => {
    const env = { ...moto.env, BENCH_TOFU_BIN: join(tempDir(), 'missing-tofu') };
    const r = runCli('bench', ['doctor'], { env });
    assert.equal(r.status, 3);
    assert.match(r.stdout, /^FAIL {2}tofu: neither tofu nor terraform runs from PATH\n {6}fix: install OpenTofu/m);
    const json = runCli('bench', ['doctor', '--json'], { env });
    assert.equal(json.status, 3);
    const body = JSON.parse(json.stdout) as { ok: boolean; checks: { name: string; status: string }[] };
    assert.equal(body.ok, false);
    assert.equal(body.checks.find((c) => c.name === 'tofu')?.status, 'fail');
  });
});
