import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { ROOT, runCli } from '../helpers/cli.ts';
import { tempDir } from '../helpers/tmp.ts';

const COMMANDS = ['doctor', 'list', 'plan'];

describe('the three bins', () => {
  for (const bin of ['bench', 'thyme-bench', 'koorde-bench'] as const) {
    it(`${bin} --help lists the commands under its own name`, () => {
      const r = runCli(bin, ['--help']);
      assert.equal(r.status, 0, r.stderr);
      for (const c of COMMANDS) assert.match(r.stdout, new RegExp(`^  ${c} `, 'm'));
      assert.match(r.stdout, new RegExp(`\\$ ${bin} \\[COMMAND\\]`));
    });
  }

  it('thyme-bench preselects the thyme suite, koorde-bench the koorde suite', () => {
    const thyme = JSON.parse(runCli('thyme-bench', ['plan', '--json', '--target', 'sandbox']).stdout) as {
      suite: { name: string };
    };
    assert.equal(thyme.suite.name, 'thyme');
    const koorde = JSON.parse(runCli('koorde-bench', ['plan', '--target', 'sandbox', '--json']).stdout) as {
      suite: { name: string };
    };
    assert.equal(koorde.suite.name, 'koorde');
    // Naming the suite again is harmless.
    assert.equal(runCli('thyme-bench', ['plan', 'thyme', '--json']).status, 0);
  });

  it('--version and --help load no AWS or Kubernetes client', () => {
    const hook = join(ROOT, 'test/helpers/record-imports.mjs');
    const loaded = (args: string[]) => {
      const log = join(tempDir(), 'imports.log');
      const r = runCli('bench', args, { nodeArgs: ['--import', hook], env: { BENCH_IMPORT_LOG: log } });
      return { r, modules: readFileSync(log, 'utf8') };
    };
    for (const args of [['--version'], ['--help'], ['plan', '--help']]) {
      const { r, modules } = loaded(args);
      assert.equal(r.status, 0, r.stderr);
      assert.ok(modules.includes('@oclif/core'), 'the import recorder saw the CLI load');
      assert.ok(!/@aws-sdk|@smithy|@kubernetes/.test(modules), `${args.join(' ')} loaded an SDK`);
    }
    // The recorder does see the SDK when a command really uses it.
    const { modules } = loaded(['doctor', '--target', 'aws', '--region', 'eu-central-1']);
    assert.ok(modules.includes('@aws-sdk/client-sts'));
  });

  it('every command has a summary, examples and --json', () => {
    for (const c of COMMANDS) {
      const r = runCli('bench', [c, '--help']);
      assert.equal(r.status, 0, r.stderr);
      assert.match(r.stdout, /EXAMPLES/);
      assert.match(r.stdout, /--json/);
    }
  });
});
