import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { connectKubeconfig } from '../adapters/kube-cluster.ts';
import { sandboxBinDir } from '../sandbox/layout.ts';
import { readSandboxEnvFile, sandboxNotUpError, sandboxStatus } from '../sandbox/status.ts';
import type { DoctorCheck, Target, TargetSetup } from './target.ts';
import { targetTraits } from './traits.ts';

/** The binaries the local cloud needs, by the part that provides them. */
const SANDBOX_PARTS: Record<string, string> = {
  kube: 'kube-apiserver',
  kwok: 'kwok',
  tofu: 'tofu',
  etcd: 'etcd',
  prometheus: 'prometheus',
  moto: 'moto_server',
};

/**
 * Target `sandbox`: the local cloud on loopback (moto for AWS, kube-apiserver and kwok for the
 * cluster), which `bench sandbox up` started. Its environment file says where each part answers.
 */
export const sandboxTarget: Target = {
  ...targetTraits('sandbox'),
  async resolve(spec, { env }) {
    return resolveSandbox(env, 'region' in spec ? spec.region : undefined);
  },
  // Where moto and the API server are now, which need not be where they were during the run.
  resolveRecorded: (record, env) => resolveSandbox(env, record.region),
  moduleVariables(setup) {
    if (!setup.sandbox) return {};
    return {
      api_server_endpoint: setup.sandbox.apiServer,
      api_server_ca_data: Buffer.from(setup.sandbox.caPem).toString('base64'),
      python: setup.sandbox.python,
    };
  },
  async connect(setup) {
    return connectKubeconfig({ path: setup.sandbox?.kubeconfig });
  },
  async reconnect(setup) {
    return connectKubeconfig({ path: setup.sandbox?.kubeconfig });
  },
  async awsEnv(env) {
    return { ...(await resolveSandbox(env, undefined)).env };
  },
  // The OpenTofu installed with the local cloud: a run there never uses another tofu or terraform.
  pinnedTofu: (env) => join(sandboxBinDir(env), 'tofu'),
  // kube-apiserver refuses to proxy to loopback, so the local cloud's Prometheus is reached directly.
  prometheusUrl: (setup) => setup.sandbox?.prometheusUrl,
  async doctorChecks(given) {
    const status = await sandboxStatus({ env: given });
    // The checks after these reach AWS (moto) through the environment `bench sandbox up` wrote.
    const env = status.envFile ? { ...given, ...readSandboxEnvFile(status.envFile) } : given;
    const running: DoctorCheck = status.up
      ? { name: 'local cloud running', status: 'pass', detail: `up in ${status.dir}` }
      : {
          name: 'local cloud running',
          status: 'fail',
          detail: `not up in ${status.dir}`,
          fix: 'run `bench sandbox up`',
        };
    return { env, checks: [checkSandboxInstalled(env), running] };
  },
};

/** The local cloud as a target: it must be up; its environment file names moto and the API server. */
async function resolveSandbox(env: NodeJS.ProcessEnv, region: string | undefined): Promise<TargetSetup> {
  const status = await sandboxStatus({ env });
  if (!status.up || !status.envFile) {
    throw sandboxNotUpError(status.dir, env);
  }
  const sb = readSandboxEnvFile(status.envFile);
  const agent = status.parts.find((p) => p.part === 'agent');
  return {
    target: 'sandbox',
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

function checkSandboxInstalled(env: NodeJS.ProcessEnv): DoctorCheck {
  const bin = join(env.BENCH_CACHE ?? join(env.HOME ?? homedir(), '.cache', 'bench'), 'sandbox', 'bin');
  const missing = Object.entries(SANDBOX_PARTS)
    .filter(([, file]) => !existsSync(join(bin, file)))
    .map(([part]) => part);
  return missing.length === 0
    ? { name: 'local cloud', status: 'pass', detail: `installed in ${bin}` }
    : {
        name: 'local cloud',
        status: 'fail',
        detail: `not installed: ${missing.join(', ')} (looked in ${bin})`,
        fix: `run \`bash test/harness/install.sh ${missing.join(' ')}\``,
      };
}
