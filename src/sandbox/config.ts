import { writeFileSync } from 'node:fs';
import { stringify } from 'yaml';
import type { Pki } from './pki.ts';
import { MOTO_ACCOUNT } from './layout.ts';

/** Writes a kubeconfig for one client certificate of the local cloud (mode 0600: it is a credential). */
export function writeKubeconfig(path: string, server: string, pki: Pki, user: keyof Pki['clients']): void {
  const config = {
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: 'bench-sandbox', cluster: { server, 'certificate-authority': pki.caCert } }],
    users: [
      { name: user, user: { 'client-certificate': pki.clients[user].cert, 'client-key': pki.clients[user].key } },
    ],
    contexts: [{ name: 'bench-sandbox', context: { cluster: 'bench-sandbox', user } }],
    'current-context': 'bench-sandbox',
  };
  writeFileSync(path, stringify(config), { mode: 0o600 });
}

/** The variables `--target sandbox` reads: where AWS (moto), Kubernetes and Prometheus are. */
export interface SandboxEnv {
  AWS_ENDPOINT_URL: string;
  AWS_ACCESS_KEY_ID: string;
  AWS_SECRET_ACCESS_KEY: string;
  AWS_REGION: string;
  AWS_EC2_METADATA_DISABLED: 'true';
  KUBECONFIG: string;
  BENCH_PROMETHEUS_URL: string;
  BENCH_SANDBOX_API_SERVER: string;
  BENCH_SANDBOX_CA_FILE: string;
  BENCH_SANDBOX_PYTHON: string;
  /** Where this local cloud lives: every later bench command of a shell that sourced the file finds it. */
  BENCH_SANDBOX_DIR: string;
}

/** Builds the sandbox environment. moto accepts any credentials; these are fixed dummies. */
export function sandboxEnv(values: {
  motoUrl: string;
  region: string;
  kubeconfig: string;
  prometheusUrl: string;
  apiServer: string;
  caFile: string;
  python: string;
  dir: string;
}): SandboxEnv {
  return {
    AWS_ENDPOINT_URL: values.motoUrl,
    AWS_ACCESS_KEY_ID: 'testing',
    AWS_SECRET_ACCESS_KEY: 'testing',
    AWS_REGION: values.region,
    AWS_EC2_METADATA_DISABLED: 'true',
    KUBECONFIG: values.kubeconfig,
    BENCH_PROMETHEUS_URL: values.prometheusUrl,
    BENCH_SANDBOX_API_SERVER: values.apiServer,
    BENCH_SANDBOX_CA_FILE: values.caFile,
    BENCH_SANDBOX_PYTHON: values.python,
    BENCH_SANDBOX_DIR: values.dir,
  };
}

/** Writes the environment file (`source`-able by a shell; mode 0600). */
export function writeEnvFile(path: string, env: SandboxEnv): void {
  const lines = Object.entries(env).map(([k, v]) => `export ${k}=${JSON.stringify(v)}`);
  writeFileSync(path, `# Written by bench sandbox up; moto account ${MOTO_ACCOUNT}.\n${lines.join('\n')}\n`, {
    mode: 0o600,
  });
}

/** Prometheus scrapes the local cloud's workload simulator every second. */
export function writePrometheusConfig(path: string, agentPort: number): void {
  const config = {
    global: { scrape_interval: '1s', evaluation_interval: '1s' },
    scrape_configs: [
      {
        job_name: 'bench-sandbox-simulator',
        scrape_interval: '1s',
        // The simulated collectors' own `instance` (their node) must win over the scrape
        // target's, as the labels the real collectors push over OTLP do.
        honor_labels: true,
        static_configs: [{ targets: [`127.0.0.1:${agentPort}`] }],
      },
    ],
  };
  writeFileSync(path, stringify(config));
}
