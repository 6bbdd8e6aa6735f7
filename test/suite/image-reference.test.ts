import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { containerImages, isMovingTag, kubeletImageError } from '../../src/suite/image-reference.ts';

const DIGEST = `sha256:${'9b5d8d2fc965bffdcca48ba92e928693cdcc37575a9af05df86cff0feb1a3d71'}`;

describe('kubeletImageError', () => {
  it('accepts the references a kubelet pulls', () => {
    for (const ok of [
      'nginx',
      'nginx:1.25',
      'docker.io/library/nginx:latest',
      'localhost:5000/a/b:tag',
      'ghcr.io/ollygarden/thyme:latest',
      `mscanlon72/loadgen@${DIGEST}`,
      `registry.example:443/team/app:v2@${DIGEST}`,
      '123456789012.dkr.ecr.eu-central-1.amazonaws.com/thyme:run-1',
    ]) {
      assert.equal(kubeletImageError(ok), undefined, ok);
    }
  });

  it("refuses what a kubelet refuses with InvalidImageName, in the kubelet's words", () => {
    const cases: [string, RegExp][] = [
      ['${images.log-generator}', /invalid reference format/],
      ['Loadgen:v1', /repository name \(library\/Loadgen\) must be lowercase/],
      ['loadgen:v1:v2', /invalid reference format/],
      ['my image:1', /invalid reference format/],
      ['repo@sha256:abc', /invalid (reference format|checksum digest length)/],
      [
        '9b5d8d2fc965bffdcca48ba92e928693cdcc37575a9af05df86cff0feb1a3d71',
        /cannot specify 64-byte hexadecimal strings/,
      ],
    ];
    for (const [image, reason] of cases) {
      const error = kubeletImageError(image);
      assert.ok(error, `${image} should be refused`);
      assert.match(error, reason, image);
      assert.match(
        error,
        new RegExp(`^Failed to apply default image tag ${JSON.stringify(image).replace(/[${}.*()]/g, '\\$&')}`),
      );
    }
  });
});

describe('containerImages', () => {
  it('finds the images of init, regular and ephemeral containers in pods, templates and cron jobs', () => {
    const template = {
      spec: { initContainers: [{ image: 'a:1' }], containers: [{ image: 'b:1', imagePullPolicy: 'IfNotPresent' }] },
    };
    assert.deepEqual(
      containerImages({ kind: 'Deployment', spec: { template } }).map((c) => [c.path, c.image, c.imagePullPolicy]),
      [
        ['spec.template.spec.initContainers[0].image', 'a:1', undefined],
        ['spec.template.spec.containers[0].image', 'b:1', 'IfNotPresent'],
      ],
    );
    assert.deepEqual(
      containerImages({ kind: 'CronJob', spec: { jobTemplate: { spec: { template } } } }).map((c) => c.path),
      [
        'spec.jobTemplate.spec.template.spec.initContainers[0].image',
        'spec.jobTemplate.spec.template.spec.containers[0].image',
      ],
    );
    assert.deepEqual(
      containerImages({ kind: 'Pod', spec: { containers: [{}], ephemeralContainers: [{ image: 'c' }] } }).map(
        (c) => c.image,
      ),
      ['', 'c'],
    );
    assert.deepEqual(containerImages({ kind: 'ConfigMap' }), []);
  });

  it('tells a moving tag from a pinned one', () => {
    assert.equal(isMovingTag('nginx'), true);
    assert.equal(isMovingTag('localhost:5000/nginx'), true);
    assert.equal(isMovingTag('nginx:latest'), true);
    assert.equal(isMovingTag('localhost:5000/nginx:1.25'), false);
    assert.equal(isMovingTag(`nginx@${DIGEST}`), false);
  });
});
