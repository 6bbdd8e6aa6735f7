/** Who the AWS credentials on this machine belong to. */
export interface CallerIdentity {
  account: string;
  arn: string;
}

/** AWS identity checks. The SDK is imported only when a check runs, never at start-up. */
export interface AwsIdentity {
  /** STS GetCallerIdentity through the standard credential chain (env, profiles, SSO). */
  getCallerIdentity(region: string, signal?: AbortSignal): Promise<CallerIdentity>;
}

/**
 * Client settings from an environment: AWS_ENDPOINT_URL (the local cloud's moto) and static
 * keys when the environment has them; otherwise the SDK's standard chain (profiles, SSO, ...).
 */
export function awsClientConfig(env: NodeJS.ProcessEnv, region: string) {
  return {
    region,
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
  };
}
