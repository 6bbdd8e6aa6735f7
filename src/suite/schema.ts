import { z } from 'zod';
import { TARGETS, type TargetName } from '../run/target-names.ts';
import { parseDuration } from '../util/duration.ts';
import { checkParamValue, PARAM_TYPES } from './param-types.ts';

/**
 * The schema of `suite.yaml`. Every object is strict, so a misspelt key is an error that
 * names the key, not a setting silently ignored.
 */

// The targets a suite can run on are declared below it, with the journal's records.
export { TARGETS, type TargetName };

/** The three timed phases, in order. */
export const PHASES = ['ramp', 'active', 'cooldown'] as const;
export type PhaseName = (typeof PHASES)[number];

/** Per-phase statistics a metric can be aggregated into. */
export const STATS = ['mean', 'min', 'max', 'p50', 'p95', 'p99', 'cv', 'last'] as const;
export type StatName = (typeof STATS)[number];

const NAME = /^[a-z][a-z0-9_-]*$/;
const PARAM_REF = /^\$\{([A-Za-z_][A-Za-z0-9_.-]*)\}$/;

const name = (what: string) =>
  z.string().regex(NAME, { error: `${what} must start with a lower-case letter and use only a-z, 0-9, '-' and '_'` });

/** A duration such as `5m` or `90s` (or a number of seconds), stored as seconds. */
const duration = z.union([z.string(), z.number()]).transform((value, ctx) => {
  try {
    return parseDuration(value, 'duration');
  } catch (err) {
    ctx.addIssue({ code: 'custom', message: (err as Error).message.replace(/^duration: /, '') });
    return z.NEVER;
  }
});

const scalar = z.union([z.string(), z.number(), z.boolean()]);

/** A number, or `${param}` resolved when the suite is rendered. */
const numberOrParam = z.union([
  z.number(),
  z.string().regex(PARAM_REF, { error: 'expected a number or a ${param} reference' }),
]);

const objectRef = z.strictObject({
  kind: z.string().min(1),
  name: z.string().min(1),
  namespace: z.string().min(1).optional(),
});

const tofuTarget = z.strictObject({
  /** OpenTofu root module, relative to the tool's installation (e.g. infra/aws). */
  module: z.string().min(1),
  region: z.string().min(1),
  variables: z.record(z.string(), z.unknown()).default({}),
});

const targets = z
  .strictObject({
    aws: tofuTarget.optional(),
    sandbox: tofuTarget.optional(),
    kube: z.strictObject({ context: z.string().min(1).optional() }).optional(),
  })
  .refine((t) => Object.values(t).some((v) => v !== undefined), {
    error: 'declare at least one of aws, sandbox, kube',
  });

const param = z
  .strictObject({
    default: scalar,
    /** The values' type; without it, the default's type (number, true/false or text). */
    type: z.enum(PARAM_TYPES).optional(),
    description: z.string().optional(),
    min: z.number().optional(),
    max: z.number().optional(),
    integer: z.boolean().default(false),
  })
  .refine((p) => p.min === undefined || typeof p.default !== 'number' || p.default >= p.min, {
    error: 'default is below min',
    path: ['default'],
  })
  .refine((p) => p.max === undefined || typeof p.default !== 'number' || p.default <= p.max, {
    error: 'default is above max',
    path: ['default'],
  })
  .superRefine((p, ctx) => {
    const checked = checkParamValue(p, p.default);
    if (!checked.ok)
      ctx.addIssue({ code: 'custom', path: ['default'], message: `${checked.problem} (${checked.fix})` });
  });

const mergePatch = z.strictObject({
  target: objectRef,
  /** RFC 7396 JSON merge patch: objects merge, null deletes, arrays are replaced. */
  merge: z.record(z.string(), z.unknown()).optional(),
  /** RFC 6902 JSON patch operations, for edits inside arrays. */
  ops: z
    .array(
      z.strictObject({
        op: z.enum(['add', 'remove', 'replace', 'copy', 'move', 'test']),
        path: z.string().startsWith('/'),
        value: z.unknown().optional(),
        from: z.string().optional(),
      }),
    )
    .optional(),
});

/** A manifest file, optionally included only when a boolean parameter is true. */
const manifestEntry = z.union([
  z.string().min(1),
  z.strictObject({ file: z.string().min(1), when: z.string().min(1) }),
]);

const overlay = z.strictObject({
  /** Parameter values for this target, overriding the defaults. */
  params: z.record(z.string(), scalar).default({}),
  /** Extra manifest files for this target. */
  resources: z.array(manifestEntry).default([]),
  patches: z
    .array(
      mergePatch.refine((p) => (p.merge === undefined) !== (p.ops === undefined), {
        error: 'give exactly one of merge or ops',
      }),
    )
    .default([]),
});

const scaleLoad = z.strictObject({
  /** The Deployment or StatefulSet whose replicas carry the load. */
  workload: objectRef,
  from: numberOrParam.optional(),
  to: numberOrParam,
  steps: z.int().positive().default(1),
});

const rateLoad = z.strictObject({
  /** The parameter that sets the load's rate (e.g. the workload's requests per second). */
  param: z.string().min(1),
  from: numberOrParam.optional(),
  to: numberOrParam,
  steps: z.int().positive().default(1),
});

const phase = z.strictObject({
  duration,
  description: z.string().optional(),
  load: z
    .strictObject({
      scale: scaleLoad.optional(),
      rate: rateLoad.optional(),
      /** Stop the load at the start of the phase (cool-down). */
      stop: z.boolean().optional(),
    })
    .optional(),
});

const placement = z.discriminatedUnion('type', [
  z.strictObject({
    type: z.literal('co-located'),
    name: name('placement name'),
    namespace: z.string().min(1),
    selector: z.record(z.string(), z.string()),
    topologyKey: z.string().default('kubernetes.io/hostname'),
  }),
  z.strictObject({
    type: z.literal('one-per-node'),
    name: name('placement name'),
    namespace: z.string().min(1),
    selector: z.record(z.string(), z.string()),
  }),
]);

const metric = z
  .strictObject({
    name: name('metric name'),
    description: z.string().optional(),
    unit: z.string().min(1),
    /** Where the series comes from: PromQL, the workload's own output, or each pod's JSON metrics. */
    source: z.enum(['prometheus', 'workload', 'pod-metrics']).default('prometheus'),
    query: z.string().min(1).optional(),
    field: z.string().min(1).optional(),
    path: z.string().startsWith('/').optional(),
    /** pod-metrics: the container port that serves `path`. */
    port: z.int().min(1).max(65535).optional(),
    /** pod-metrics: labels of the pods whose JSON is read (in each variant's namespace). */
    selector: z.record(z.string(), z.string()).optional(),
    /** Which direction is an improvement, for comparisons (`bench compare`). */
    better: z.enum(['lower', 'higher']).optional(),
    aggregate: z.array(z.enum(STATS)).min(1).default(['mean', 'min', 'max', 'p50', 'p95', 'p99']),
  })
  .superRefine((m, ctx) => {
    if (m.source === 'prometheus' && m.query === undefined) {
      ctx.addIssue({ code: 'custom', path: ['query'], message: 'a prometheus metric needs a PromQL query' });
    }
    if (m.source !== 'prometheus' && m.field === undefined) {
      ctx.addIssue({ code: 'custom', path: ['field'], message: `a ${m.source} metric needs the field it reads` });
    }
    if (m.source === 'pod-metrics' && (m.port === undefined || m.selector === undefined)) {
      ctx.addIssue({
        code: 'custom',
        path: [m.port === undefined ? 'port' : 'selector'],
        message: 'a pod-metrics metric needs the port that serves its path and the selector of its pods',
      });
    }
  });

const gate = z.strictObject({
  metric: z.string().min(1),
  phase: z.enum(PHASES),
  stat: z.enum(STATS),
  op: z.enum(['>=', '<=', '>', '<', '==']),
  value: z.number(),
  description: z.string().optional(),
});

const variant = z.strictObject({
  namespace: z.string().min(1),
  description: z.string().optional(),
  params: z.record(z.string(), scalar).default({}),
});

/** The whole suite file. */
export const suiteSchema = z
  .strictObject({
    apiVersion: z.literal('bench/v1', { error: "apiVersion must be 'bench/v1'" }),
    name: name('suite name'),
    description: z.string().min(1),
    targets,
    images: z.record(z.string(), z.string().min(1)).default({}),
    params: z.record(z.string(), param).default({}),
    manifests: z.strictObject({
      base: z.array(manifestEntry).min(1),
      /** Objects that carry the load (e.g. a workload Job): applied when the ramp starts. */
      workload: z.array(manifestEntry).default([]),
      overlays: z.partialRecord(z.enum(TARGETS), overlay).default({}),
    }),
    /** Variants deployed side by side with identical settings (e.g. chord and koorde). */
    variants: z.record(name('variant name'), variant).optional(),
    /** A parameter swept over several values (e.g. the DHT's cluster size). */
    sweep: z.strictObject({ param: z.string().min(1), values: z.array(z.number().positive()).min(1) }).optional(),
    phases: z.strictObject({ ramp: phase, active: phase, cooldown: phase }),
    verify: z
      .strictObject({
        /** Workloads that must roll out; default: every Deployment, StatefulSet and DaemonSet rendered. */
        rollout: z.array(objectRef).optional(),
        timeout: duration.default(600),
        placement: z.array(placement).default([]),
      })
      .default({ timeout: 600, placement: [] }),
    /** Where the suite's Prometheus runs in the cluster (reached through the API server's proxy). */
    prometheus: z
      .strictObject({
        namespace: z.string().min(1),
        service: z.string().min(1),
        port: z.union([z.int().positive(), z.string().min(1)]),
        /** Query resolution; the scrape interval is a good choice. */
        step: duration.default(15),
      })
      .optional(),
    metrics: z.array(metric).min(1),
    /** How long collecting may take when the run was interrupted, before teardown starts regardless. */
    collect: z.strictObject({ deadline: duration.default(120) }).default({ deadline: 120 }),
    gates: z.array(gate).default([]),
    teardown: z
      .strictObject({
        /** Wait until the cloud load balancers of LoadBalancer Services are gone before destroy. */
        loadBalancerServices: z.boolean().default(true),
        ecrRepositories: z.array(z.string().min(1)).default([]),
        deadline: duration.default(1200),
      })
      .default({ loadBalancerServices: true, ecrRepositories: [], deadline: 1200 }),
  })
  .superRefine((suite, ctx) => {
    const metricNames = new Set(suite.metrics.map((m) => m.name));
    suite.metrics.forEach((m, i) => {
      if (suite.metrics.findIndex((o) => o.name === m.name) !== i) {
        ctx.addIssue({ code: 'custom', path: ['metrics', i, 'name'], message: `metric '${m.name}' is declared twice` });
      }
    });
    suite.gates.forEach((g, i) => {
      if (!metricNames.has(g.metric)) {
        ctx.addIssue({
          code: 'custom',
          path: ['gates', i, 'metric'],
          message: `gate refers to metric '${g.metric}', which is not declared (declared: ${[...metricNames].join(', ')})`,
        });
      }
    });
    const declared = new Set(Object.keys(suite.params));
    const checkParams = (values: Record<string, string | number | boolean>, path: (string | number)[]) => {
      for (const [key, value] of Object.entries(values)) {
        const spec = suite.params[key];
        if (!spec) {
          ctx.addIssue({
            code: 'custom',
            path: [...path, key],
            message: `parameter '${key}' is not declared under params`,
          });
          continue;
        }
        // A value that is a ${reference} is typed when it is rendered.
        if (typeof value === 'string' && PARAM_REF.test(value)) continue;
        const checked = checkParamValue(spec, value);
        if (!checked.ok)
          ctx.addIssue({ code: 'custom', path: [...path, key], message: `${checked.problem} (${checked.fix})` });
      }
    };
    for (const [target, o] of Object.entries(suite.manifests.overlays))
      checkParams(o?.params ?? {}, ['manifests', 'overlays', target, 'params']);
    for (const [v, spec] of Object.entries(suite.variants ?? {})) checkParams(spec.params, ['variants', v, 'params']);
    if (suite.sweep && !declared.has(suite.sweep.param)) {
      ctx.addIssue({
        code: 'custom',
        path: ['sweep', 'param'],
        message: `parameter '${suite.sweep.param}' is not declared under params`,
      });
    }
    for (const p of PHASES) {
      const rate = suite.phases[p].load?.rate;
      if (rate && !declared.has(rate.param)) {
        ctx.addIssue({
          code: 'custom',
          path: ['phases', p, 'load', 'rate', 'param'],
          message: `parameter '${rate.param}' is not declared under params`,
        });
      }
    }
    const entries = [
      ...suite.manifests.base.map((e, i) => ({ e, path: ['manifests', 'base', i] })),
      ...suite.manifests.workload.map((e, i) => ({ e, path: ['manifests', 'workload', i] })),
      ...Object.entries(suite.manifests.overlays).flatMap(([t, o]) =>
        (o?.resources ?? []).map((e, i) => ({ e, path: ['manifests', 'overlays', t, 'resources', i] })),
      ),
    ];
    for (const { e, path } of entries) {
      if (typeof e === 'object' && typeof suite.params[e.when]?.default !== 'boolean') {
        ctx.addIssue({
          code: 'custom',
          path: [...path, 'when'],
          message: `'when' must name a boolean parameter declared under params`,
        });
      }
    }
    for (const t of Object.keys(suite.manifests.overlays)) {
      if (suite.targets[t as TargetName] === undefined) {
        ctx.addIssue({
          code: 'custom',
          path: ['manifests', 'overlays', t],
          message: `overlay for target '${t}', which the suite does not declare under targets`,
        });
      }
    }
  });

/** A validated suite, durations in seconds and defaults filled in. */
export type Suite = z.output<typeof suiteSchema>;
export type SuitePhase = Suite['phases']['active'];
export type SuiteMetric = Suite['metrics'][number];
export type SuiteGate = Suite['gates'][number];
export type SuitePlacement = Suite['verify']['placement'][number];
export type ObjectRef = z.output<typeof objectRef>;
export type ParamValue = z.output<typeof scalar>;
export type ManifestEntry = z.output<typeof manifestEntry>;
