import { createAwsResources, type AwsResources } from './aws-resources.ts';
import { createAdapters, type Adapters } from './index.ts';
import {
  createKubeCluster,
  createKubeLeases,
  type ClusterConnection,
  type KubeCluster,
  type KubeLeases,
} from './kube-cluster.ts';
import { createKubeWorkloads, type KubeWorkloads } from './kube-workloads.ts';
import { createPodData, type PodData, type PodDataOptions } from './pod-data.ts';
import { createPortForwarder, type PortForwarder } from './port-forward.ts';
import {
  createPrometheusClient,
  type PrometheusClient,
  type PrometheusClientOptions,
  type PrometheusEndpoint,
} from './prometheus.ts';
import { createTofu, type Tofu, type TofuRunOptions } from './tofu.ts';

/**
 * Everything outside the process the engine talks to, as factories: which cluster, region or
 * endpoint is known only once a run has reached it. Built in one place ({@link createServices})
 * and handed to run, compare, cleanup, list and report, so a test hands in fakes or real local
 * servers for any of them.
 */
export interface Services {
  /** The probes of the preflight and `bench doctor` (tools on PATH, AWS identity, kube contexts). */
  // Function-valued properties, not methods: the engine passes them on unbound.
  probes: (env: NodeJS.ProcessEnv) => Adapters;
  tofu: (options: TofuRunOptions) => Tofu;
  awsResources: (region: string, env: NodeJS.ProcessEnv) => AwsResources;
  kubeCluster: (connection: ClusterConnection) => KubeCluster;
  kubeWorkloads: (connection: ClusterConnection) => KubeWorkloads;
  kubeLeases: (connection: ClusterConnection) => KubeLeases;
  prometheus: (endpoint: PrometheusEndpoint, options?: PrometheusClientOptions) => PrometheusClient;
  podData: (connection: ClusterConnection, options?: PodDataOptions) => PodData;
  portForwarder: (connection: ClusterConnection) => PortForwarder;
}

/** The real services, with any of them replaced (tests). Cheap: nothing is connected here. */
export function createServices(replace: Partial<Services> = {}): Services {
  return {
    probes: createAdapters,
    tofu: createTofu,
    awsResources: (region, env) => createAwsResources(region, env),
    kubeCluster: createKubeCluster,
    kubeWorkloads: createKubeWorkloads,
    kubeLeases: createKubeLeases,
    prometheus: createPrometheusClient,
    podData: createPodData,
    portForwarder: createPortForwarder,
    ...replace,
  };
}
