import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
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

describe('messages are whole', () => {
  it("oclif's multi-line parse errors are shown whole, with the command's help as the fix", () => {
    const missing = runCli('bench', ['run']);
    assert.equal(missing.status, 2);
    assert.match(missing.stderr, /^Error: Missing 1 required arg:\n {2}suite +built-in suite name/m);
    assert.match(missing.stderr, /fix: see `bench run --help`/);
    const nodes = runCli('bench', ['sandbox', 'up', '--dir', join(tempDir(), 's'), '--nodes', 'abc']);
    assert.equal(nodes.status, 2);
    assert.match(nodes.stderr, /^Error: Parsing --nodes\n {2}Expected an integer but received: abc$/m);
    assert.match(nodes.stderr, /fix: see `bench sandbox up --help`/, 'the command as typed, not sandbox:up');
    assert.doesNotMatch(nodes.stderr, /See more help with --help/);
  });

  it('`--help | head` exits 0 without an EPIPE warning', () => {
    for (const bin of ['bench', 'thyme-bench']) {
      // `head -1` closes the pipe after one line; the bin's status is what PIPESTATUS reports.
      const r = spawnSync(
        'bash',
        ['-c', `"${process.execPath}" "${ROOT}/bin/${bin}" --help | head -1; exit \${PIPESTATUS[0]}`],
        {
          encoding: 'utf8',
          env: { ...process.env, NO_COLOR: '1' },
        },
      );
      assert.equal(r.status, 0, r.stderr);
      assert.equal(r.stderr, '');
    }
  });

  it('the sandbox topic has its own description', () => {
    const r = runCli('bench', ['--help']);
    assert.match(r.stdout, /^ {2}sandbox +The local cloud: moto, Kubernetes with kwok nodes/m);
    assert.doesNotMatch(r.stdout, /sandbox +Stop every part/);
  });
});

describe("the suites' own bins show their own examples", () => {
  /** Every `$ bin ...` example of a help text, joined over wrapped lines, comments dropped. */
  const examples = (help: string, bin: string): string[][] =>
    [
      ...(/^EXAMPLES\n([\s\S]*?)(?:^[A-Z]+$|(?![\s\S]))/m.exec(help)?.[1] ?? '').matchAll(
        new RegExp(`^ {2}(?:\\$ )?((?:[A-Z_]+=\\S* )*${bin} .*)$`, 'gm'),
      ),
    ].map((m) =>
      (m[1] as string)
        .replace(/\s+#.*$/, '')
        .trim()
        .split(/\s+/),
    );

  for (const [bin, suite, other] of [
    ['thyme-bench', 'thyme', 'koorde'],
    ['koorde-bench', 'koorde', 'thyme'],
  ] as const) {
    it(`${bin}: root and command examples name no suite argument, and each works as printed`, () => {
      const root = runCli(bin, ['--help']);
      assert.equal(root.status, 0, root.stderr);
      assert.match(root.stdout, /^EXAMPLES$/m);
      const all = examples(root.stdout, bin);
      for (const command of ['plan', 'run', 'compare']) {
        const help = runCli(bin, [command, '--help']);
        assert.equal(help.status, 0, help.stderr);
        assert.doesNotMatch(help.stdout, new RegExp(`${bin} ${command} (${suite}|${other})\\b`));
        all.push(...examples(help.stdout, bin));
      }
      assert.ok(all.length >= 6, `found ${all.length} examples`);
      const cwd = tempDir();
      const env = {
        // Nothing is up here and no credentials answer, so a run that parses stops at its target.
        BENCH_SANDBOX_DIR: join(cwd, 'no-sandbox'),
        BENCH_RUNS_DIR: join(cwd, 'runs'),
        AWS_ACCESS_KEY_ID: 'AKIAEXAMPLE',
        AWS_SECRET_ACCESS_KEY: 'example',
        AWS_ENDPOINT_URL: 'http://127.0.0.1:9',
        AWS_MAX_ATTEMPTS: '1',
        KUBECONFIG: join(cwd, 'kubeconfig'),
      };
      // A kubeconfig whose one cluster does not answer (and which has no kind-bench context).
      writeFileSync(
        env.KUBECONFIG,
        'apiVersion: v1\nkind: Config\nclusters: [{name: c, cluster: {server: "https://127.0.0.1:9"}}]\n' +
          'users: [{name: u, user: {token: t}}]\ncontexts: [{name: other, context: {cluster: c, user: u}}]\n' +
          'current-context: other\n',
      );
      for (const words of all) {
        const at = words.indexOf(bin);
        const vars = Object.fromEntries(words.slice(0, at).map((w) => w.split('=') as [string, string]));
        const args = words.slice(at + 1);
        const r = runCli(bin, args, { cwd, env: { ...env, ...vars }, timeoutMs: 60_000 });
        // plan works outright; run and compare get past every usage check to the infrastructure.
        const expected = args[0] === 'plan' ? 0 : 3;
        assert.equal(r.status, expected, `${words.join(' ')}\n${r.stderr}`);
        if (args[0] === 'plan' && args.includes('--json'))
          assert.equal((JSON.parse(r.stdout) as { suite: { name: string } }).suite.name, suite);
      }
    });
  }
});
