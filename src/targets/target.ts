import type { ClusterConnection } from '../adapters/kube-cluster.ts';
import type { Tofu } from '../adapters/tofu.ts';
import type { Suite, TargetName } from '../suite/schema.ts';
import type { TargetTraits } from './traits.ts';

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

/** A suite's declaration of one of its targets (`targets.<name>` in suite.yaml). */
export type TargetSpec = NonNullable<Suite['targets'][TargetName]>;

/** What a run's module outputs say about its cluster (the shape of provision's ClusterOutputs). */
export interface ClusterEndpoint {
  clusterName: string;
  region: string;
  endpoint: string;
  /** Base64 PEM of the API server's CA. */
  caData: string;
}

/** What a run's run-start record keeps of where it went, for `bench cleanup` to reach it again. */
export interface RecordedTarget {
  region?: string | undefined;
  context?: string | undefined;
  clusterName: string;
}

/** One check of `bench doctor`: what was checked, what was found, and how to fix a failure. */
export interface DoctorCheck {
  name: string;
  status: 'pass' | 'fail' | 'skip';
  detail: string;
  fix?: string;
}

/**
 * One target: its {@link TargetTraits} and the behaviour that reaches outside (the local cloud's
 * files, kubeconfigs, the module's outputs). Everything a run does differently on a target is a
 * property or a method here, so a target is one file of src/targets/.
 */
export interface Target extends TargetTraits {
  /**
   * Resolves the suite's declaration of this target for a run, before anything is created (the
   * local cloud must be up). `context` is --context (an existing cluster's kubeconfig context).
   */
  resolve(spec: TargetSpec, options: { env: NodeJS.ProcessEnv; context?: string }): Promise<TargetSetup>;
  /** The target of a recorded run, as `bench cleanup` reaches it now. */
  resolveRecorded(record: RecordedTarget, env: NodeJS.ProcessEnv): Promise<TargetSetup>;
  /**
   * The module variables the target itself sets, after the suite's and --var (the local cloud's:
   * where its API server is, its CA, moto's python).
   */
  moduleVariables(setup: TargetSetup): Record<string, unknown>;
  /** Reaches the cluster of a run in progress; `outputs` are its module's (when the target uses tofu). */
  connect(setup: TargetSetup, outputs: ClusterEndpoint | undefined): Promise<ClusterConnection>;
  /**
   * Reaches a recorded run's cluster again (its OpenTofu state answers the outputs where the
   * target needs them): undefined when there is nothing to reach; throws when it cannot be reached.
   */
  reconnect(setup: TargetSetup, record: RecordedTarget, tofu: Tofu | undefined): Promise<ClusterConnection | undefined>;
  /** The environment AWS calls get outside a run (`bench cleanup --orphans`). */
  awsEnv(env: NodeJS.ProcessEnv): Promise<NodeJS.ProcessEnv>;
  /** The one OpenTofu binary the target runs, when it pins one; undefined: BENCH_TOFU_BIN, tofu, terraform. */
  pinnedTofu(env: NodeJS.ProcessEnv): string | undefined;
  /** The Prometheus a run reads directly rather than through the API server's proxy, when there is one. */
  prometheusUrl(setup: TargetSetup): string | undefined;
  /**
   * The target's own checks of `bench doctor` (before the AWS ones), and the environment the other
   * checks then use.
   */
  doctorChecks(env: NodeJS.ProcessEnv): Promise<{ env: NodeJS.ProcessEnv; checks: DoctorCheck[] }>;
}
