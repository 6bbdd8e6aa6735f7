import { homedir } from 'node:os';
import { join, resolve } from 'node:path';

/** The parts of the local cloud, in start order. */
export const PARTS = [
  'etcd',
  'kube-apiserver',
  'kube-controller-manager',
  'kube-scheduler',
  'kwok',
  'moto',
  'agent',
  'prometheus',
] as const;
export type PartName = (typeof PARTS)[number];

/** Default port of each part on 127.0.0.1 (`--port-base` shifts them all). */
export const DEFAULT_PORTS: Record<PartName | 'etcd-peer', number> = {
  etcd: 16379,
  'etcd-peer': 16380,
  'kube-apiserver': 16443,
  'kube-controller-manager': 16257,
  'kube-scheduler': 16259,
  kwok: 16280,
  moto: 16500,
  agent: 16290,
  prometheus: 16090,
};

/** The binary each part runs, as test/harness/install.sh names it; agent runs on Node itself. */
export const PART_BINARIES: Record<PartName, string | undefined> = {
  etcd: 'etcd',
  'kube-apiserver': 'kube-apiserver',
  'kube-controller-manager': 'kube-controller-manager',
  'kube-scheduler': 'kube-scheduler',
  kwok: 'kwok',
  moto: 'moto_server',
  agent: undefined,
  prometheus: 'prometheus',
};

/** The installer part that provides a binary (for the fix in error messages). */
export const INSTALL_PART: Record<string, string> = {
  etcd: 'etcd',
  'kube-apiserver': 'kube',
  'kube-controller-manager': 'kube',
  'kube-scheduler': 'kube',
  kwok: 'kwok',
  moto_server: 'moto',
  prometheus: 'prometheus',
  tofu: 'tofu',
};

/** The cache root of bench (BENCH_CACHE, default ~/.cache/bench). */
export function cacheRoot(env: NodeJS.ProcessEnv = process.env): string {
  return env.BENCH_CACHE || join(env.HOME || homedir(), '.cache', 'bench');
}

/** Where the installed binaries of the local cloud are. */
export function sandboxBinDir(env: NodeJS.ProcessEnv = process.env): string {
  return join(cacheRoot(env), 'sandbox', 'bin');
}

/**
 * The directory of one running local cloud (state, certificates, data, logs): BENCH_SANDBOX_DIR
 * (which `--sandbox-dir` sets, and `sandbox.env` exports), else ~/.cache/bench/sandbox/instance.
 * Always absolute, so messages and `sandbox.env` name the same place from any working directory.
 */
export function defaultSandboxDir(env: NodeJS.ProcessEnv = process.env): string {
  return resolve(env.BENCH_SANDBOX_DIR || join(cacheRoot(env), 'sandbox', 'instance'));
}

/** The list of every directory a local cloud was started in, so "not up here" can say where one is. */
export function knownSandboxesFile(env: NodeJS.ProcessEnv = process.env): string {
  return join(cacheRoot(env), 'sandbox', 'known-instances.json');
}

/** Files inside a sandbox directory. */
export function sandboxFiles(dir: string) {
  return {
    state: join(dir, 'state.json'),
    kubeconfig: join(dir, 'kubeconfig'),
    envFile: join(dir, 'sandbox.env'),
    pki: join(dir, 'pki'),
    logs: join(dir, 'logs'),
    data: join(dir, 'data'),
    /** The simulated workloads' container logs (CRI format) that kwok serves as pod logs. */
    podLogs: join(dir, 'data', 'pod-logs'),
    prometheusConfig: join(dir, 'prometheus.yml'),
  };
}

/** The cluster the local cloud pretends to be when no EKS cluster in moto claims it. */
export const DEFAULT_CLUSTER_NAME = 'bench-sandbox';
/** moto's fixed account id. */
export const MOTO_ACCOUNT = '123456789012';
