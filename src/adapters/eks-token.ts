/**
 * EKS authentication without the aws CLI: a bearer token is a presigned STS GetCallerIdentity
 * URL, signed with the header `x-k8s-aws-id: <cluster>` (so it is valid for that cluster only),
 * base64url-encoded and prefixed `k8s-aws-v1.`. EKS accepts it for 15 minutes.
 */

/** The token and when to stop using it. */
export interface EksToken {
  token: string;
  /** Refresh after this moment (well before EKS's 15-minute limit). */
  refreshAt: Date;
}

export const EKS_TOKEN_PREFIX = 'k8s-aws-v1.';
/** Presigned-URL lifetime; EKS checks the signature time, not this. */
const PRESIGN_SECONDS = 60;
/** EKS accepts a token for 15 minutes; refresh at 10 to leave room for clock skew and long calls. */
const REFRESH_AFTER_MS = 10 * 60_000;

/**
 * Mints a token for a cluster with the standard credential chain (env, profiles, SSO), or the
 * static keys of `env`. AWS_ENDPOINT_URL (the local cloud's moto) replaces the STS host.
 */
export async function mintEksToken(
  clusterName: string,
  region: string,
  env: NodeJS.ProcessEnv = process.env,
  now = new Date(),
): Promise<EksToken> {
  const [{ SignatureV4 }, { Hash }, { STSClient }] = await Promise.all([
    import('@smithy/signature-v4'),
    import('@smithy/hash-node'),
    import('@aws-sdk/client-sts'),
  ]);
  const { awsClientConfig } = await import('./aws.ts');
  // The STS client resolves credentials exactly as every other AWS call of the tool does.
  const sts = new STSClient(awsClientConfig(env, region));
  try {
    const credentials = await sts.config.credentials();
    const endpoint = env.AWS_ENDPOINT_URL
      ? new URL(env.AWS_ENDPOINT_URL)
      : new URL(`https://sts.${region}.amazonaws.com`);
    const signer = new SignatureV4({ credentials, region, service: 'sts', sha256: Hash.bind(null, 'sha256') });
    const signed = await signer.presign(
      {
        method: 'GET',
        protocol: endpoint.protocol,
        hostname: endpoint.hostname,
        port: endpoint.port ? Number(endpoint.port) : undefined,
        path: '/',
        query: { Action: 'GetCallerIdentity', Version: '2011-06-15' },
        headers: { host: endpoint.host, 'x-k8s-aws-id': clusterName },
      },
      { expiresIn: PRESIGN_SECONDS, signingDate: now },
    );
    const query = Object.entries(signed.query ?? {})
      .map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(String(v))}`)
      .join('&');
    const url = `${endpoint.protocol}//${endpoint.host}/?${query}`;
    return {
      token: EKS_TOKEN_PREFIX + Buffer.from(url).toString('base64url'),
      refreshAt: new Date(now.getTime() + REFRESH_AFTER_MS),
    };
  } finally {
    sts.destroy();
  }
}

/** The presigned URL inside a token (for tests and diagnostics; it holds a signature, not a key). */
export function decodeEksToken(token: string): URL {
  if (!token.startsWith(EKS_TOKEN_PREFIX)) throw new Error('not an EKS token');
  return new URL(Buffer.from(token.slice(EKS_TOKEN_PREFIX.length), 'base64url').toString('utf8'));
}
