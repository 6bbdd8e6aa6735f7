import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { connectEks } from '../../src/adapters/kube-cluster.ts';
import { decodeEksToken, EKS_TOKEN_PREFIX, mintEksToken } from '../../src/adapters/eks-token.ts';
import { startMoto, type Moto } from '../harness/moto.ts';

describe('EKS bearer tokens', () => {
  let moto: Moto;
  before(async () => {
    moto = await startMoto();
  });
  after(async () => {
    await moto.stop();
  });

  it('are a presigned STS GetCallerIdentity URL bound to the cluster', async () => {
    const now = new Date();
    const { token, refreshAt } = await mintEksToken('thyme-benchmark-1', 'eu-central-1', { ...moto.env }, now);
    assert.ok(token.startsWith(EKS_TOKEN_PREFIX));
    assert.doesNotMatch(token, /[=+/]/, 'base64url without padding');
    assert.equal(refreshAt.getTime() - now.getTime(), 10 * 60_000);
    const url = decodeEksToken(token);
    assert.equal(url.searchParams.get('Action'), 'GetCallerIdentity');
    assert.equal(url.searchParams.get('Version'), '2011-06-15');
    assert.equal(url.searchParams.get('X-Amz-Algorithm'), 'AWS4-HMAC-SHA256');
    assert.equal(url.searchParams.get('X-Amz-Expires'), '60');
    assert.deepEqual(url.searchParams.get('X-Amz-SignedHeaders')?.split(';').sort(), ['host', 'x-k8s-aws-id']);
    assert.match(url.searchParams.get('X-Amz-Credential') ?? '', /^testing\/\d{8}\/eu-central-1\/sts\/aws4_request$/);
    assert.match(url.searchParams.get('X-Amz-Signature') ?? '', /^[0-9a-f]{64}$/);
    assert.ok(!url.toString().includes(moto.env.AWS_SECRET_ACCESS_KEY as string), 'the secret key is not in the token');
    // The STS endpoint is the one the environment names (moto here). moto does not route a
    // presigned GET to STS, so EKS's acceptance of the token cannot be exercised locally.
    assert.equal(url.origin, moto.endpoint);
  });

  it('use the real STS host when no endpoint is set', async () => {
    const env = { AWS_ACCESS_KEY_ID: 'AKIAEXAMPLE', AWS_SECRET_ACCESS_KEY: 'not-a-real-secret' };
    const url = decodeEksToken((await mintEksToken('c', 'us-west-2', env)).token);
    assert.equal(url.host, 'sts.us-west-2.amazonaws.com');
    assert.equal(url.protocol, 'https:');
  });

  it('are reused until due, in a kubeconfig built in memory from the module outputs', async () => {
    const caData = Buffer.from('-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n').toString('base64');
    const conn = connectEks({
      clusterName: 'c1',
      region: 'eu-central-1',
      endpoint: 'https://ABCD.gr7.eu-central-1.eks.amazonaws.com',
      caData,
      env: { ...moto.env },
    });
    const first = await conn.kubeConfig();
    const second = await conn.kubeConfig();
    assert.equal(first, second);
    assert.equal(first.getCurrentCluster()?.server, 'https://ABCD.gr7.eu-central-1.eks.amazonaws.com');
    assert.equal(first.getCurrentCluster()?.caData, caData);
    assert.ok(first.getCurrentUser()?.token?.startsWith(EKS_TOKEN_PREFIX));
  });
});
