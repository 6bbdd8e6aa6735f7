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

/** The real STS client; honours AWS_ENDPOINT_URL, so the local cloud's moto answers in tests. */
export function createAwsIdentity(): AwsIdentity {
  return {
    async getCallerIdentity(region, signal) {
      const { STSClient, GetCallerIdentityCommand } = await import('@aws-sdk/client-sts');
      const client = new STSClient({ region, maxAttempts: 2 });
      try {
        const out = await client.send(new GetCallerIdentityCommand({}), { abortSignal: signal });
        return { account: out.Account ?? 'unknown', arn: out.Arn ?? 'unknown' };
      } finally {
        client.destroy();
      }
    },
  };
}
