import { readFileSync } from 'node:fs';
import { UsageError } from '../errors.ts';
import { readSandboxEnvFile, sandboxNotUpError, sandboxStatus } from '../sandbox/lifecycle.ts';
import type { Suite, TargetName } from '../suite/schema.ts';

/** Where a run goes and the environment its AWS calls and tofu get. */
export interface TargetSetup {
  target: TargetName;
  /** AWS region (aws, sandbox); undefined for an existing cluster. */
  region: string | undefined;
  /** Environment for AWS clients and the tofu subprocess. */
  env: NodeJS.ProcessEnv;
  /** The local cloud's endpoints (target sandbox). */
  sandbox?: {
    dir: string;
    apiServer: string;
    caPem: string;
    kubeconfig: string;
    python: string;
    prometheusUrl: string;
    agentUrl: string;
  };
  /** An existing cluster (target kube). */
  kube?: { context: string | undefined };
}

/**
 * Resolves a target before anything is created: the suite must declare it; the sandbox must be up
 * (its environment file then points AWS calls at moto and names the local API server).
 */
export async function resolveTarget(
  suite: Suite,
  target: TargetName,
  options: { env?: NodeJS.ProcessEnv; context?: string } = {},
): Promise<TargetSetup> {
  const env = options.env ?? process.env;
  const spec = suite.targets[target];
  if (!spec) {
    throw new UsageError('E_TARGET_UNSUPPORTED', `suite ${suite.name} does not declare the target '${target}'`, {
      fix: `use one of: ${Object.keys(suite.targets)
        .filter((t) => suite.targets[t as TargetName])
        .join(', ')}`,
    });
  }
  if (target === 'kube') {
    const context = options.context ?? ('context' in spec ? spec.context : undefined);
    return { target, region: undefined, env, kube: { context } };
  }
  const region = 'region' in spec ? spec.region : undefined;
  if (target === 'aws') return { target, region, env: region ? { ...env, AWS_REGION: region } : env };
  return resolveSandbox(env, region);
}

/** The local cloud as a target: it must be up; its environment file names moto and the API server. */
export async function resolveSandbox(env: NodeJS.ProcessEnv, region: string | undefined): Promise<TargetSetup> {
  const target = 'sandbox';
  const status = await sandboxStatus({ env });
  if (!status.up || !status.envFile) {
    throw sandboxNotUpError(status.dir, env);
  }
  const sb = readSandboxEnvFile(status.envFile);
  const agent = status.parts.find((p) => p.part === 'agent');
  return {
    target,
    region,
    env: { ...env, ...sb, AWS_REGION: region ?? sb.AWS_REGION },
    sandbox: {
      dir: status.dir,
      apiServer: sb.BENCH_SANDBOX_API_SERVER as string,
      caPem: readFileSync(sb.BENCH_SANDBOX_CA_FILE as string, 'utf8'),
      kubeconfig: sb.KUBECONFIG as string,
      python: sb.BENCH_SANDBOX_PYTHON as string,
      prometheusUrl: sb.BENCH_PROMETHEUS_URL as string,
      agentUrl: agent?.url ?? '',
    },
  };
}
