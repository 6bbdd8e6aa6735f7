import { connectEks } from '../adapters/kube-cluster.ts';
import type { Target, TargetSetup } from './target.ts';
import { targetTraits } from './traits.ts';

/** The region's environment: AWS calls and tofu go to the suite's region. */
function regionEnv(env: NodeJS.ProcessEnv, region: string | undefined): NodeJS.ProcessEnv {
  return region ? { ...env, AWS_REGION: region } : env;
}

/**
 * Target `aws`: an EKS cluster the run creates with OpenTofu (infra/aws), reached with a
 * kubeconfig built in memory from the module's outputs and an EKS token (no aws CLI, no kubectl).
 */
export const awsTarget: Target = {
  ...targetTraits('aws'),
  async resolve(spec, { env }): Promise<TargetSetup> {
    const region = 'region' in spec ? spec.region : undefined;
    return { target: 'aws', region, env: regionEnv(env, region) };
  },
  async resolveRecorded(record, env) {
    return { target: 'aws', region: record.region, env: regionEnv(env, record.region) };
  },
  async connect(setup, outputs) {
    if (!outputs) throw new Error('connect on aws needs the module outputs');
    return connectEks({
      clusterName: outputs.clusterName,
      region: outputs.region,
      endpoint: outputs.endpoint,
      caData: outputs.caData,
      env: setup.env,
    });
  },
  async reconnect(setup, record, tofu) {
    // The cluster's endpoint and CA are known only to the run's OpenTofu state.
    if (!tofu) return undefined;
    const out = await tofu.output();
    const endpoint = String(out.cluster_endpoint?.value ?? '');
    if (!endpoint) return undefined;
    return connectEks({
      clusterName: String(out.cluster_name?.value ?? record.clusterName),
      region: String(out.region?.value ?? record.region),
      endpoint,
      caData: String(out.cluster_certificate_authority_data?.value ?? ''),
      env: setup.env,
    });
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
