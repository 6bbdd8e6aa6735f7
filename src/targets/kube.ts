import { connectKubeconfig } from '../adapters/kube-cluster.ts';
import type { Target } from './target.ts';
import { targetTraits } from './traits.ts';

/**
 * Target `kube`: an existing cluster, reached through a kubeconfig context (--context, else the
 * suite's, else the current one). Nothing is provisioned, and no AWS API is called.
 */
export const kubeTarget: Target = {
  ...targetTraits('kube'),
  async resolve(spec, { env, context }) {
    return {
      target: 'kube',
      region: undefined,
      env,
      kube: { context: context ?? ('context' in spec ? spec.context : undefined) },
    };
  },
  async resolveRecorded(record, env) {
    return { target: 'kube', region: undefined, env, kube: { context: record.context } };
  },
  async connect(setup) {
    return connectKubeconfig({ context: setup.kube?.context, env: setup.env });
  },
  async reconnect(setup, record) {
    return connectKubeconfig({ context: record.context, env: setup.env });
  },
  async awsEnv(env) {
    return env;
  },
  moduleVariables: () => ({}),
  pinnedTofu: () => undefined,
  prometheusUrl: () => undefined,
  async doctorChecks(env) {
    return { env, checks: [] };
  },
};
