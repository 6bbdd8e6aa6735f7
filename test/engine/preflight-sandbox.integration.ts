import assert from 'node:assert/strict';
import { existsSync, symlinkSync, writeFileSync, chmodSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { execFileSync } from 'node:child_process';
import { prepareRun } from '../../src/engine/run/context.ts';
import { readJournal } from '../../src/run/journal.ts';
import { sharedTestSandbox, type TestSandbox } from '../harness/sandbox.ts';
import { sandboxBin } from '../harness/paths.ts';
import { tempDir } from '../helpers/tmp.ts';

/** A Terraform to put first on PATH: the machine's own when it has one, else one that says it is. */
function terraformOnPath(): string {
  const dir = tempDir('bench-terraform-path-');
  let real: string | undefined;
  try {
    real = execFileSync('sh', ['-c', 'command -v terraform'], { encoding: 'utf8' }).trim() || undefined;
  } catch {
    real = undefined;
  }
  if (real && existsSync(real)) symlinkSync(real, join(dir, 'terraform'));
  else {
    writeFileSync(join(dir, 'terraform'), '#!/bin/sh\nprintf "Terraform v1.11.4\\non linux_amd64\\n"\n');
    chmodSync(join(dir, 'terraform'), 0o755);
  }
  return dir;
}

describe("the local cloud's run uses the local cloud's tofu", { timeout: 180_000 }, () => {
  let sb: TestSandbox;
  before(async () => {
    sb = await sharedTestSandbox();
  });
  after(async () => {
    await sb?.stop();
  });

  it('journals the pinned OpenTofu, its kind and version, even with a terraform first on PATH', async () => {
    const runsDir = tempDir('bench-preflight-sandbox-runs-');
    const path = `${terraformOnPath()}:${process.env.PATH ?? ''}`;
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      PATH: path,
      BENCH_SANDBOX_DIR: sb.dir,
      RAMPUP_MINUTES: '',
      ACTIVE_MINUTES: '',
      COOLDOWN_MINUTES: '',
    };
    delete env.BENCH_TOFU_BIN;
    const ctx = await prepareRun({ suite: 'thyme', target: 'sandbox', runsDir, env });
    ctx.journal.close();
    const start = readJournal(ctx.journal.path).records.find((r) => r.type === 'run-start') as unknown as {
      options: { tofu: { binary: string; kind: string; version: string } };
    };
    assert.equal(start.options.tofu.binary, sandboxBin('tofu'));
    assert.equal(start.options.tofu.kind, 'tofu');
    assert.match(start.options.tofu.version, /^1\.\d+\.\d+$/);
    assert.equal(ctx.tofuPlan?.binary, sandboxBin('tofu'));
  });
});
