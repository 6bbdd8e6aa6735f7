import { httpGet } from './http.ts';

/** Who the AWS credentials on this machine belong to. */
export interface CallerIdentity {
  account: string;
  arn: string;
}

/** AWS identity checks. The SDK is imported only when a check runs, never at start-up. */
export interface AwsIdentity {
  /**
   * STS GetCallerIdentity through the SDK's default credential chain (env, SSO, profiles,
   * process, web identity, container and instance metadata). Without a region, the SDK's
   * default region chain (AWS_REGION, the profile's `region`) picks one.
   */
  getCallerIdentity(region: string | undefined, signal?: AbortSignal): Promise<CallerIdentity>;
  /** The region the SDK's default chain gives (AWS_REGION, the profile's `region`); undefined when none. */
  defaultRegion(): Promise<string | undefined>;
}

/** The caller's own address as the internet sees it (for the API server's allow-list). */
export interface PublicAddressProbe {
  /** One GET of AWS's check-ip endpoint; the IPv4 address it answers, validated. */
  getPublicAddress(signal?: AbortSignal): Promise<string>;
}

/** AWS's own "what is my address" endpoint; BENCH_CHECKIP_URL replaces it (tests, proxies). */
export const CHECKIP_URL = 'https://checkip.amazonaws.com';

/**
 * Client settings from an environment: AWS_ENDPOINT_URL (the local cloud's moto) and static
 * keys when the environment has them; otherwise the SDK's standard chain (profiles, SSO, ...).
 */
export function awsClientConfig(env: NodeJS.ProcessEnv, region: string | undefined) {
  return {
    ...(region ? { region } : {}),
    ...(env.AWS_ENDPOINT_URL ? { endpoint: env.AWS_ENDPOINT_URL } : {}),
    ...(env.AWS_ACCESS_KEY_ID && env.AWS_SECRET_ACCESS_KEY
      ? {
          credentials: {
            accessKeyId: env.AWS_ACCESS_KEY_ID,
            secretAccessKey: env.AWS_SECRET_ACCESS_KEY,
            sessionToken: env.AWS_SESSION_TOKEN || undefined,
          },
        }
      : {}),
  };
}

/** The real STS client, configured from the given environment. */
export function createAwsIdentity(env: NodeJS.ProcessEnv = process.env): AwsIdentity {
  return {
    async getCallerIdentity(region, signal) {
      const { STSClient, GetCallerIdentityCommand } = await import('@aws-sdk/client-sts');
      const client = new STSClient({ ...awsClientConfig(env, region), maxAttempts: 2 });
      try {
        const out = await client.send(new GetCallerIdentityCommand({}), { abortSignal: signal });
        return { account: out.Account ?? 'unknown', arn: out.Arn ?? 'unknown' };
      } finally {
        client.destroy();
      }
    },
    async defaultRegion() {
      const { STSClient } = await import('@aws-sdk/client-sts');
      const client = new STSClient({});
      try {
        // The client's region provider is the SDK's default region chain.
        return await client.config.region();
      } catch {
        return undefined;
      } finally {
        client.destroy();
      }
    },
  };
}

/** The real check-ip probe: `BENCH_CHECKIP_URL` or https://checkip.amazonaws.com, 10 s deadline. */
export function createPublicAddressProbe(env: NodeJS.ProcessEnv = process.env): PublicAddressProbe {
  return {
    async getPublicAddress(signal) {
      const url = env.BENCH_CHECKIP_URL || CHECKIP_URL;
      const { status, body } = await httpGet(url, { timeoutMs: 10_000, signal });
      if (status !== 200) throw new Error(`${url} answered HTTP ${status}`);
      const { default: ipaddr } = await import('ipaddr.js');
      const text = body.trim();
      // Four decimal parts only: ipaddr.js would also take the classful forms (0x7f.1) of old.
      if (!ipaddr.IPv4.isValidFourPartDecimal(text))
        throw new Error(`${url} answered something that is not an IPv4 address: ${JSON.stringify(text.slice(0, 60))}`);
      return ipaddr.IPv4.parse(text).toString();
    },
  };
}
