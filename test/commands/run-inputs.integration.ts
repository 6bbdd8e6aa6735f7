import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { runCli } from '../helpers/cli.ts';
import { copySuite } from '../helpers/suite-fixture.ts';
import { tempDir } from '../helpers/tmp.ts';

/** A copy of a built-in suite with one of its files edited. */
function edited(suite: 'thyme' | 'koorde', file: string, edit: (text: string) => string): string {
  const dir = copySuite(suite);
  writeFileSync(join(dir, file), edit(readFileSync(join(dir, file), 'utf8')));
  return dir;
}

describe('bench run and compare refuse a bad suite or input before anything exists', () => {
  // No credentials at all: a check that came after the preflight would fail on those instead.
  const env = {
    AWS_ACCESS_KEY_ID: '',
    AWS_SECRET_ACCESS_KEY: '',
    AWS_PROFILE: 'bench-test-none',
    AWS_CONFIG_FILE: '/nonexistent',
    AWS_SHARED_CREDENTIALS_FILE: '/nonexistent',
  };
  const cases: [string, () => string[], RegExp][] = [
    [
      'PromQL that does not parse',
      () => ['run', edited('thyme', 'suite.yaml', (t) => t.replace('[${rateWindow}]))', '[${rateWindow}])'))],
      /does not parse as PromQL at character \d+[\s\S]*fix: fix the expression/,
    ],
    [
      'a kind misspelt',
      () => [
        'run',
        edited('thyme', 'base/nop-collector.yaml', (t) => t.replace('kind: Deployment', 'kind: Deploymnet')),
      ],
      /apps\/v1 has no kind 'Deploymnet' \(did you mean Deployment\?\)[\s\S]*fix: correct the manifests/,
    ],
    [
      'replicas: "three"',
      () => [
        'run',
        edited('thyme', 'base/nop-collector.yaml', (t) =>
          t.replace('replicas: ${nopCollectorReplicas}', 'replicas: "three"'),
        ),
      ],
      /spec\.replicas: must be integer/,
    ],
    [
      'an image reference a kubelet refuses',
      () => ['run', 'thyme', '--image', 'thyme=ghcr.io/ollygarden/Thyme:latest'],
      /'ghcr\.io\/ollygarden\/Thyme:latest' is not a valid image reference[\s\S]*must be lowercase/,
    ],
    ['an empty --image', () => ['run', 'thyme', '--image', 'thyme='], /--image thyme=: the image reference is empty/],
    [
      'a --set that is not a CIDR',
      () => ['run', 'thyme', '--set', 'grafanaAllowedCidr=10.0.0.1/8'],
      /host bits are set/,
    ],
    [
      'a --var of the wrong type',
      () => ['run', 'thyme', '--var', 'nat_gateway_ha=maybe'],
      /as bool; expected true or false/,
    ],
    [
      'a --var the module does not declare',
      () => ['run', 'thyme', '--var', 'node_cont=3'],
      /has no variable 'node_cont'/,
    ],
    ['a reserved --var', () => ['run', 'thyme', '--var', 'run_id=mine'], /bench sets this variable itself/],
    [
      "a --var the module's validation rule refuses (evaluated by OpenTofu)",
      () => ['run', 'thyme', '--var', 'node_count=0'],
      /the module \S+infra\/aws refuses a variable:\s+node_count = 0: node_count must be a whole number >= 1\./,
    ],
    [
      'a vpc_cidr too small for the subnets the module cuts from it',
      () => ['run', 'thyme', '--var', 'vpc_cidr=10.0.0.0/24'],
      /vpc_cidr = "10\.0\.0\.0\/24": vpc_cidr must be an IPv4 CIDR block of \/20 or larger/,
    ],
    [
      'a --prometheus-url that is not a URL',
      () => ['run', 'thyme', '--prometheus-url', 'not-a-url'],
      /--prometheus-url not-a-url: not an http\(s\) URL[\s\S]*fix: give the base URL/,
    ],
    [
      'a --prometheus-url with credentials in it (never stored)',
      () => ['run', 'thyme', '--prometheus-url', 'https://admin:hunter2@prom.example:9090'],
      /the URL carries credentials \(https:\/\/\*\*\*@prom\.example:9090\)/,
    ],
    [
      'compare: a --var of the wrong type',
      () => ['compare', 'koorde', 'chord', 'koorde', '--var', 'node_count=many'],
      /as number; expected a number/,
    ],
  ];
  for (const [name, args, message] of cases) {
    it(name, () => {
      const runsDir = join(tempDir(), 'runs');
      const r = runCli('bench', [...args(), '--target', 'aws', '--yes', '--runs-dir', runsDir], { env });
      assert.equal(r.status, 2, `${r.stdout}\n${r.stderr}`);
      assert.match(r.stderr, message);
      assert.doesNotMatch(`${r.stdout}${r.stderr}`, /hunter2/);
      assert.match(r.stderr, /fix: /);
      assert.ok(!existsSync(runsDir) || readdirSync(runsDir).length === 0, 'no run directory');
    });
  }
});
