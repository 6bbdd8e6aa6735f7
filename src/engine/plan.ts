import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { stringify } from 'yaml';
import { PRICES } from '../plan/prices.ts';
import { plannedRunTimeVariables, resolveModuleDir } from '../phases/provision.ts';
import { containerImages } from '../suite/image-reference.ts';
import { countByKind, resolveParams, type RenderedObject } from '../suite/render.ts';
import { checkRunInputs, type RunInputs } from './inputs.ts';
import { PHASES, type PhaseName, type TargetName } from '../suite/schema.ts';
import { targetTraits } from '../targets/traits.ts';

/** What `bench plan` is asked for: the run's inputs, and where to write the manifests. */
export interface PlanOptions extends RunInputs {
  /** Write the rendered manifests here. */
  outDir?: string;
}

export interface TimelineStep {
  step: string;
  seconds: number;
  /** True for steps whose length is an estimate (provisioning, teardown), false for timed phases. */
  estimated: boolean;
  description: string;
}

export interface CostItem {
  resource: string;
  quantity: number;
  unitPerHour: number;
  perHour: number;
}

/** Everything a run would do, computed without touching anything. */
export interface Plan {
  suite: { name: string; description: string; file: string };
  target: TargetName;
  region: string | undefined;
  tofu: { module: string; variables: Record<string, unknown> } | undefined;
  params: Record<string, unknown>;
  variants: { name: string; namespace: string }[];
  sweep: { param: string; values: number[] } | undefined;
  manifests: {
    total: number;
    byKind: Record<string, number>;
    loadBalancerServices: string[];
    writtenTo: string | undefined;
  };
  phases: { name: PhaseName; seconds: number; description: string | undefined }[];
  timeline: TimelineStep[];
  wallClockSeconds: number;
  cost: { currency: 'USD'; perHour: number; total: number; items: CostItem[]; note: string };
  teardownOrder: string[];
  metrics: string[];
  gates: string[];
  /** What the checks found that does not stop the run but a careful user wants to know (moving image tags, ...). */
  warnings: string[];
  /** What the plan checked, offline, before anything exists. */
  checks: { kubernetesSchema: string; images: number; queries: number };
}

/** Computes the plan of a run: validates everything a run would validate, and touches nothing. */
export async function planRun(options: PlanOptions): Promise<Plan> {
  const { loaded, durations, objects, variables, warnings, kubernetesSchema } = await checkRunInputs(options);
  const { suite } = loaded;
  const targetSpec = suite.targets[options.target] as NonNullable<(typeof suite.targets)[TargetName]>;
  const params = resolveParams(suite, options.target, options.params);

  const tofu =
    'module' in targetSpec
      ? {
          module: targetSpec.module,
          variables: {
            ...targetSpec.variables,
            region: targetSpec.region,
            ...(options.nodes === undefined ? {} : { node_count: options.nodes }),
            ...variables,
            ...(await plannedRunTimeVariables(
              options.target,
              resolveModuleDir(loaded, targetSpec.module),
              options.variables,
            )),
            run_id: '<assigned at run start>',
            expires_at: '<run start + wall clock + 2h>',
          },
        }
      : undefined;
  const region = 'region' in targetSpec ? targetSpec.region : undefined;
  const loadBalancers = objects
    .filter(
      ({ object }) =>
        object.kind === 'Service' && (object.spec as { type?: string } | undefined)?.type === 'LoadBalancer',
    )
    .map(({ object }) => `${object.metadata.namespace ?? 'default'}/${object.metadata.name}`);

  const est = targetTraits(options.target).estimates;
  const sweepRuns = suite.sweep?.values.length ?? 1;
  const timeline: TimelineStep[] = [
    { step: 'preflight', seconds: 5, estimated: true, description: 'credentials, tools, quotas, cost estimate' },
    {
      step: 'provision',
      seconds: est.provision,
      estimated: true,
      description: tofu ? `tofu apply of ${tofu.module}` : 'existing cluster: nothing to provision',
    },
    { step: 'connect', seconds: est.connect, estimated: true, description: 'kubeconfig from the module outputs' },
    {
      step: 'deploy',
      seconds: est.deploy,
      estimated: true,
      description: `server-side apply of ${objects.length} objects, then readiness and placement checks`,
    },
    ...PHASES.map((p) => ({
      step: p,
      seconds: durations[p] * sweepRuns,
      estimated: false,
      description: (suite.phases[p].description ?? '') + (sweepRuns > 1 ? ` (x${sweepRuns} sizes)` : ''),
    })),
    {
      step: 'collect',
      seconds: est.collect,
      estimated: true,
      description: `${suite.metrics.length} metrics per phase window`,
    },
    { step: 'report', seconds: 5, estimated: true, description: 'report.md, report.html, summary.json' },
    { step: 'teardown', seconds: est.teardown, estimated: true, description: 'load-balancer-safe order (below)' },
  ];
  const wallClockSeconds = timeline.reduce((sum, s) => sum + s.seconds, 0);
  const cost = estimateCost(options.target, tofu?.variables ?? {}, loadBalancers.length, wallClockSeconds);

  let writtenTo: string | undefined;
  if (options.outDir !== undefined)
    writtenTo = writeManifests(resolve(options.cwd ?? process.cwd(), options.outDir), objects);

  return {
    suite: { name: suite.name, description: suite.description, file: loaded.file },
    target: options.target,
    region,
    tofu,
    params,
    variants: Object.entries(suite.variants ?? {}).map(([name, v]) => ({ name, namespace: v.namespace })),
    sweep: suite.sweep,
    manifests: { total: objects.length, byKind: countByKind(objects), loadBalancerServices: loadBalancers, writtenTo },
    phases: PHASES.map((p) => ({ name: p, seconds: durations[p], description: suite.phases[p].description })),
    timeline,
    wallClockSeconds,
    cost,
    teardownOrder: teardownOrder(options.target, suite.teardown.ecrRepositories.length > 0),
    metrics: suite.metrics.map((m) => m.name),
    gates: suite.gates.map((g) => `${g.metric} ${g.stat} during ${g.phase} ${g.op} ${g.value}`),
    warnings,
    checks: {
      kubernetesSchema: kubernetesSchema.exact
        ? `Kubernetes ${kubernetesSchema.release}`
        : `Kubernetes ${kubernetesSchema.release} (nearest vendored)`,
      images: new Set(objects.flatMap(({ object }) => containerImages(object).map((c) => c.image))).size,
      queries: suite.metrics.filter((m) => m.query !== undefined).length,
    },
  };
}

function estimateCost(
  target: TargetName,
  variables: Record<string, unknown>,
  loadBalancers: number,
  wallClockSeconds: number,
): Plan['cost'] {
  const { billing } = targetTraits(target);
  if (!billing.billed) return { currency: 'USD', perHour: 0, total: 0, items: [], note: billing.note };
  const nodes = Number(variables.node_count ?? 3);
  const type = String(variables.node_instance_type ?? 'm6i.2xlarge');
  const instancePrice = PRICES.instancePerHour[type];
  const disk = Number(variables.node_disk_size_gb ?? 100);
  const items: CostItem[] = [
    { resource: 'EKS control plane', quantity: 1, unitPerHour: PRICES.eksClusterPerHour },
    { resource: `EC2 ${type}`, quantity: nodes, unitPerHour: instancePrice ?? 0 },
    {
      resource: 'NAT gateway',
      quantity: variables.nat_gateway_ha === true ? 3 : 1,
      unitPerHour: PRICES.natGatewayPerHour,
    },
    { resource: 'EBS gp3 (GB)', quantity: nodes * disk, unitPerHour: PRICES.ebsGp3PerGbMonth / PRICES.hoursPerMonth },
    { resource: 'Network load balancer', quantity: loadBalancers, unitPerHour: PRICES.nlbPerHour },
  ]
    .filter((i) => i.quantity > 0)
    .map((i) => ({ ...i, unitPerHour: round(i.unitPerHour, 6), perHour: round(i.quantity * i.unitPerHour, 4) }));
  const perHour = round(
    items.reduce((s, i) => s + i.perHour, 0),
    4,
  );
  return {
    currency: 'USD',
    perHour,
    total: round((perHour * wallClockSeconds) / 3600, 2),
    items,
    note:
      (instancePrice === undefined ? `no price known for ${type}: its nodes are counted at $0. ` : '') +
      'on-demand list prices; data transfer and CloudWatch are not included',
  };
}

function round(value: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}

/** The teardown order of DESIGN.md, as the run will carry it out on this target. */
export function teardownOrder(target: TargetName, ecr: boolean): string[] {
  const steps = ["delete the run's LoadBalancer Services and Ingresses, then its namespaces"];
  if (!targetTraits(target).callsAws) {
    steps.push("wait until the LoadBalancer Services' finalizers clear (the cloud load balancers are gone)");
    steps.push('verify nothing labelled with the run id is left');
    return steps;
  }
  steps.push(
    'poll ELBv2 until no load balancer or target group tagged for the cluster/run remains (deadline, no fixed sleeps)',
  );
  if (ecr) steps.push("delete the run's ECR images (BatchDeleteImage, 100 ids per call)");
  steps.push('tofu destroy, retried on DependencyViolation');
  steps.push('verify nothing tagged with the run id is left, and list anything that is');
  return steps;
}

/** Writes each rendered object to its own YAML file; returns the directory. */
function writeManifests(dir: string, objects: RenderedObject[]): string {
  mkdirSync(dir, { recursive: true });
  objects.forEach(({ object, variant, stage }, i) => {
    const parts = [
      String(i + 1).padStart(3, '0'),
      variant,
      stage === 'workload' ? 'workload' : undefined,
      object.kind,
      object.metadata.namespace,
      object.metadata.name,
    ];
    const name = parts
      .filter(Boolean)
      .join('-')
      .toLowerCase()
      .replace(/[^a-z0-9.-]+/g, '-');
    writeFileSync(join(dir, `${name}.yaml`), stringify(object));
  });
  return dir;
}
