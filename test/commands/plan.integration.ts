import assert from 'node:assert/strict';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { runCli } from '../helpers/cli.ts';
import { copySuite } from '../helpers/suite-fixture.ts';
import { tempDir } from '../helpers/tmp.ts';

describe('bench plan', () => {
  it('--json shows phases of 300 s / 1800 s / 600 s and a cost estimate', () => {
    const r = runCli('bench', ['plan', 'thyme', '--json'], { env: { RAMPUP_MINUTES: '', COOLDOWN_MINUTES: '' } });
    assert.equal(r.status, 0, r.stderr);
    const plan = JSON.parse(r.stdout) as {
      phases: { name: string; seconds: number }[];
      cost: { perHour: number; total: number; currency: string };
    };
    assert.deepEqual(
      plan.phases.map((p) => p.seconds),
      [300, 1800, 600],
    );
    assert.equal(plan.cost.currency, 'USD');
    assert.ok(plan.cost.perHour > 0 && plan.cost.total > 0);
  });

  it('prints a readable plan for koorde', () => {
    const r = runCli('bench', ['plan', 'koorde']);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /Plan: koorde on aws \(us-west-2\)/);
    assert.match(r.stdout, /chord \(namespace chord-dht\), koorde \(namespace koorde-dht\)/);
    assert.match(r.stdout, /StatefulSet\s+2/);
    assert.match(r.stdout, /Teardown order:\n {2}1\. delete the run's LoadBalancer Services/);
    assert.match(r.stdout, /Cost estimate: \$\d+\.\d+\/hour/);
  });

  it('names the moving image tags as reproducibility warnings, and what it checked', () => {
    const r = runCli('bench', ['plan', 'thyme']);
    assert.equal(r.status, 0, r.stderr);
    assert.match(
      r.stdout,
      /Checked: every object against the OpenAPI schema of Kubernetes 1\.34\.\d+, 3 image references, 4 PromQL queries/,
    );
    assert.match(
      r.stdout,
      /Warnings:\n {2}- ghcr\.io\/ollygarden\/thyme:latest \(DaemonSet thyme\) is a moving tag with imagePullPolicy IfNotPresent/,
    );
  });

  it('writes the rendered manifests with --out', () => {
    const out = join(tempDir(), 'out');
    const r = runCli('bench', ['plan', 'thyme', '--target', 'sandbox', '--out', out, '--json']);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(readdirSync(out).length, (JSON.parse(r.stdout) as { manifests: { total: number } }).manifests.total);
  });

  describe('bad input: a clear message, exit 2, nothing created', () => {
    const cases: [string, string[], RegExp][] = [
      [
        'unknown suite',
        ['plan', 'nosuch'],
        /unknown suite 'nosuch'[\s\S]*fix: use one of the built-in suites \(koorde, thyme\)/,
      ],
      [
        'suite directory that does not exist',
        ['plan', './no/such/dir'],
        /suite directory '\.\/no\/such\/dir' does not exist/,
      ],
      [
        'unparsable duration',
        ['plan', 'thyme', '--ramp', '5x'],
        /--ramp: '5x' is not a duration[\s\S]*fix: write it as a number with a unit/,
      ],
      ['zero active phase', ['plan', 'thyme', '--active', '0'], /active phase cannot be 0/],
      ['zero nodes', ['plan', 'thyme', '--nodes', '0'], /--nodes 0: a cluster needs at least one node/],
      ['negative count', ['plan', 'thyme', '--set', 'logGenerators=-1'], /logGenerators=-1: must be at least 1/],
      ['zero count', ['plan', 'koorde', '--set', 'requests=0'], /requests=0: must be at least 1/],
      ['not a number', ['plan', 'thyme', '--set', 'logsPerSecond=fast'], /expected a number/],
      ['malformed --set', ['plan', 'thyme', '--set', 'logGenerators'], /expected name=value/],
      ['unknown parameter', ['plan', 'thyme', '--set', 'replicas=3'], /no parameter 'replicas'[\s\S]*logGenerators/],
      ['unknown flag', ['plan', 'thyme', '--bogus'], /Nonexistent flag: --bogus[\s\S]*fix: see `bench plan --help`/],
      [
        'unknown target',
        ['plan', 'thyme', '--target', 'gcp'],
        /Expected --target=gcp to be one of: aws, sandbox, kube/,
      ],
      ['missing suite argument', ['plan'], /Missing 1 required arg/],
      [
        'empty --image',
        ['plan', 'thyme', '--image', 'log-generator='],
        /--image log-generator=: the image reference is empty[\s\S]*fix: give a reference/,
      ],
      [
        'invalid --image reference',
        ['plan', 'thyme', '--image', 'log-generator=Loadgen:v1'],
        /'Loadgen:v1' is not a valid image reference[\s\S]*fix: give --image name=registry\/repository:tag/,
      ],
      [
        '--set of a cidr parameter that is not a CIDR',
        ['plan', 'thyme', '--set', 'grafanaAllowedCidr=anywhere'],
        /--set grafanaAllowedCidr=anywhere: expected a CIDR block[\s\S]*fix: write an IPv4 or IPv6 CIDR block/,
      ],
      [
        '--var that does not fit the module type',
        ['plan', 'thyme', '--var', 'node_disk_size_gb=lots'],
        /the module declares node_disk_size_gb as number; expected a number[\s\S]*fix: write e\.g\. --var node_disk_size_gb=3/,
      ],
    ];
    for (const [name, args, message] of cases) {
      it(name, () => {
        const cwd = tempDir();
        const out = join(cwd, 'out');
        const r = runCli('bench', [...args, '--out', out], { cwd });
        assert.equal(r.status, 2, `${r.stdout}\n${r.stderr}`);
        assert.match(r.stderr, message);
        assert.ok(!existsSync(out), 'nothing written');
        assert.deepEqual(readdirSync(cwd), [], 'nothing created in the working directory');
      });
    }

    it('an invalid suite file names the file, the field path and the fix', () => {
      const dir = copySuite('thyme', (y) =>
        y.replace(
          'integer: true\n    min: 1\n    description: log-generator pods',
          'integer: maybe\n    min: 1\n    description: log-generator pods',
        ),
      );
      const r = runCli('bench', ['plan', dir]);
      assert.equal(r.status, 2, r.stderr);
      assert.match(r.stderr, /invalid suite .*suite\.yaml: the suite does not match the schema/);
      assert.match(r.stderr, /suite\.yaml:\d+:\d+: params\.logGenerators\.integer: expected boolean/);
      assert.match(r.stderr, /fix: edit .*suite\.yaml at the fields named above/);
    });

    it('--json prints the error as JSON with its code and fix', () => {
      const r = runCli('bench', ['plan', 'thyme', '--ramp', '5x', '--json']);
      assert.equal(r.status, 2);
      const body = JSON.parse(r.stdout) as { error: { code: string; kind: string; fix: string } };
      assert.equal(body.error.code, 'E_DURATION');
      assert.equal(body.error.kind, 'usage');
      assert.ok(body.error.fix.length > 0);
    });
  });
});
