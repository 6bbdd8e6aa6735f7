import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { parse } from 'yaml';
import { BENCH_KWOK_STAGES } from '../../../src/sandbox/agent/kwok-stages.ts';
import { kubeletImageError } from '../../../src/suite/image-reference.ts';

interface Stage {
  spec: {
    weight?: number;
    selector: { matchExpressions: { key: string; operator: string; values?: string[] }[] };
    next: { statusTemplate: string };
  };
}

const stagePath = BENCH_KWOK_STAGES.find((p) => p.endsWith('pod-invalid-image.yaml')) as string;
const stage = parse(readFileSync(stagePath, 'utf8')) as Stage;

/** The expression the selector's jq `test(...)` uses (a jq string: its backslashes doubled). */
function selectorRegex(): string {
  const key = stage.spec.selector.matchExpressions.find((e) => e.key.includes('test('))?.key ?? '';
  const m = /\| test\("((?:[^"\\]|\\.)*)"\) and \(test\("\^\[a-f0-9\]\{64\}\$"\) \| not\)/.exec(key);
  assert.ok(m, `no image test in the selector: ${key}`);
  return JSON.parse(`"${m[1]}"`) as string;
}

/** The expressions the status template's `regexMatch` uses (Go raw strings, as written). */
function templateRegexes(): string[] {
  return [...stage.spec.next.statusTemplate.matchAll(/regexMatch `([^`]*)` \.image\) \(not/g)].map(
    (m) => m[1] as string,
  );
}

/** What the stage decides for an image: valid (the container runs) or not (InvalidImageName). */
function stageAccepts(image: string): boolean {
  return new RegExp(selectorRegex()).test(image) && !/^[a-f0-9]{64}$/.test(image);
}

const DIGEST = `sha256:${'9b5d8d2fc965bffdcca48ba92e928693cdcc37575a9af05df86cff0feb1a3d71'}`;

// Names a kubelet pulls and names it refuses, around each rule of ParseNormalizedNamed: where the
// registry ends, lower case, tags, digests, ports, IPv6 hosts, separators.
const CORPUS = [
  'nginx',
  'nginx:1.25',
  'nginx:Latest',
  'docker.io/library/nginx:latest',
  'index.docker.io/nginx',
  'localhost/app',
  'localhost:5000/a/b:tag',
  'ghcr.io/ollygarden/thyme:latest',
  'ghcr.io/OllyGarden/thyme:latest',
  'UPPER/repo',
  'Upper',
  'foo/Bar',
  'a.b',
  'a.b/c',
  'a_b/c',
  'a_b.c/d',
  'a__b/c',
  'a___b/c',
  'a--b/c-d',
  'a-/b',
  '-a/b',
  'a..b',
  'foo:5000',
  'foo:bar/baz',
  'foo:5000/bar',
  '[::1]:5000/app:v1',
  '[::1/app',
  `mscanlon72/loadgen@${DIGEST}`,
  `registry.example:443/team/app:v2@${DIGEST}`,
  `app@sha512:${'ab'.repeat(64)}`,
  `app@sha256:${'AB'.repeat(32)}`,
  'repo@sha256:abc',
  '123456789012.dkr.ecr.eu-central-1.amazonaws.com/thyme:run-1',
  '9b5d8d2fc965bffdcca48ba92e928693cdcc37575a9af05df86cff0feb1a3d71',
  '${images.log-generator}',
  'Loadgen:v1',
  'loadgen:v1:v2',
  'my image:1',
  'app:',
  'app:-tag',
  `app:${'t'.repeat(128)}`,
  `app:${'t'.repeat(129)}`,
  '',
  'a/b/c/d/e:1',
  'a//b',
  'app/',
];

describe("the local cloud's InvalidImageName stage", () => {
  it('is one expression, the same in the selector and in the status template', () => {
    const templates = templateRegexes();
    assert.equal(templates.length, 2, 'containers and init containers');
    for (const t of templates) assert.equal(t, selectorRegex());
  });

  it('refuses what a kubelet refuses (kubeletImageError), where the two disagree only as Go does', () => {
    const disagree = CORPUS.filter((image) => stageAccepts(image) !== (kubeletImageError(image) === undefined));
    // Where @swimlane/docker-reference (behind kubeletImageError) follows an older distribution
    // than kubelet v1.34's v0.6.0, the stage follows Go: IPv6 registry hosts parse, and digest.Parse
    // refuses upper-case hex. Both are refused at plan time anyway, so no run meets them.
    assert.deepEqual(
      disagree.map((i) => `${i}: stage ${stageAccepts(i) ? 'accepts' : 'refuses'}`),
      ['[::1]:5000/app:v1: stage accepts', `app@sha256:${'AB'.repeat(32)}: stage refuses`],
    );
    // The corpus holds both kinds, so agreement is not agreement on one answer.
    assert.ok(CORPUS.filter(stageAccepts).length >= 15);
    assert.ok(CORPUS.filter((i) => !stageAccepts(i)).length >= 15);
  });

  it("wins over kwok's pod-ready stage and leaves a pod being deleted to pod-delete", () => {
    assert.ok((stage.spec.weight ?? 0) > 0, 'a weight, so kwok picks it over pod-ready (which has none)');
    const keys = stage.spec.selector.matchExpressions.map((e) => `${e.key} ${e.operator}`);
    assert.ok(keys.includes('.metadata.deletionTimestamp DoesNotExist'));
    // No time of day in the status: kwok must find nothing to patch on the second evaluation.
    assert.doesNotMatch(stage.spec.next.statusTemplate, /\bNow\b/);
  });
});
