import type { CompareRunResult } from '../engine/compare.ts';
import type { CleanupRunResult, OrphanResult } from '../engine/cleanup.ts';
import type { DoctorResult } from '../engine/doctor.ts';
import type { ListResult } from '../engine/list.ts';
import type { Plan } from '../engine/plan.ts';
import type { RunResult } from '../engine/run/run-benchmark.ts';
import type { SandboxStatus } from '../sandbox/status.ts';
import { formatDuration } from '../util/duration.ts';

/** Lays rows out in columns, padded to the widest cell. */
export function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i] ?? 0)))
      .join('  ')
      .trimEnd();
  return [line(header), ...rows.map(line)].join('\n');
}

const usd = (n: number) => `$${n.toFixed(n < 1 && n > 0 ? 4 : 2)}`;

/** `bench plan` for people. */
export function formatPlan(plan: Plan): string {
  const out: string[] = [];
  out.push(`Plan: ${plan.suite.name} on ${plan.target}${plan.region ? ` (${plan.region})` : ''}`);
  out.push(`  ${plan.suite.description}`);
  if (plan.tofu) {
    out.push('', `OpenTofu module ${plan.tofu.module}`);
    out.push(
      table(
        ['variable', 'value'],
        Object.entries(plan.tofu.variables).map(([k, v]) => [k, String(v)]),
      ),
    );
  }
  if (plan.variants.length)
    out.push(
      '',
      `Variants side by side: ${plan.variants.map((v) => `${v.name} (namespace ${v.namespace})`).join(', ')}`,
    );
  if (plan.sweep) out.push(`Sweep: ${plan.sweep.param} = ${plan.sweep.values.join(', ')}`);
  out.push('', `Manifests: ${plan.manifests.total} objects`);
  out.push(
    table(
      ['kind', 'count'],
      Object.entries(plan.manifests.byKind).map(([k, n]) => [k, String(n)]),
    ),
  );
  if (plan.manifests.loadBalancerServices.length)
    out.push(`LoadBalancer services: ${plan.manifests.loadBalancerServices.join(', ')}`);
  if (plan.manifests.writtenTo) out.push(`Rendered manifests written to ${plan.manifests.writtenTo}`);
  out.push('', `Timeline (expected wall clock ${formatDuration(plan.wallClockSeconds)})`);
  let at = 0;
  out.push(
    table(
      ['step', 'starts', 'length', 'what'],
      plan.timeline.map((s) => {
        const row = [
          s.step,
          `+${formatDuration(at)}`,
          `${s.estimated ? '~' : ''}${formatDuration(s.seconds)}`,
          s.description,
        ];
        at += s.seconds;
        return row;
      }),
    ),
  );
  out.push('', `Cost estimate: ${usd(plan.cost.perHour)}/hour, ${usd(plan.cost.total)} for the whole run`);
  if (plan.cost.items.length) {
    out.push(
      table(
        ['resource', 'quantity', 'per hour'],
        plan.cost.items.map((i) => [i.resource, String(i.quantity), usd(i.perHour)]),
      ),
    );
  }
  out.push(`  (${plan.cost.note})`);
  out.push('', `Metrics: ${plan.metrics.join(', ')}`);
  if (plan.gates.length) out.push(`Gates: ${plan.gates.join('; ')}`);
  out.push('', 'Teardown order:');
  plan.teardownOrder.forEach((s, i) => out.push(`  ${i + 1}. ${s}`));
  out.push(
    '',
    `Checked: every object against the OpenAPI schema of ${plan.checks.kubernetesSchema}, ${plan.checks.images} image references, ${plan.checks.queries} PromQL queries`,
  );
  if (plan.warnings.length) {
    out.push('', 'Warnings:');
    for (const w of plan.warnings) out.push(`  - ${w}`);
  }
  return out.join('\n');
}

/** `bench doctor` for people. */
export function formatDoctor(result: DoctorResult): string {
  const mark = { pass: 'ok  ', fail: 'FAIL', skip: 'skip' } as const;
  const lines = result.checks.flatMap((c) => [
    `${mark[c.status]}  ${c.name}: ${c.detail}`,
    ...(c.fix ? [`      fix: ${c.fix}`] : []),
  ]);
  lines.push(
    '',
    result.ok
      ? `Ready for target ${result.target}.`
      : `Not ready for target ${result.target}: fix the checks marked FAIL.`,
  );
  return lines.join('\n');
}

/** `bench list` for people. */
export function formatRunList(result: ListResult): string {
  if (result.runs.length === 0) return `No runs in ${result.runsDir}.`;
  const listed = table(
    ['run', 'suite', 'target', 'status', 'started', 'duration', 'alive'],
    result.runs.map((r) => [
      r.runId,
      r.suite,
      r.target,
      // A crashed run whose tofu goes on is still changing the cloud: said in the row itself.
      r.tofu && r.status !== 'running' ? `${r.status}, tofu ${r.tofu.command} running` : r.status,
      r.startedAt?.replace('T', ' ').slice(0, 19) ?? '-',
      r.durationSeconds === undefined ? '-' : formatDuration(r.durationSeconds),
      r.aliveResources.length === 0
        ? 'none'
        : `${r.aliveResources.length} (${[...new Set(r.aliveResources.map((a) => a.kind))].join(', ')})`,
    ]),
  );
  const notes = result.runs.filter((r) => r.note).map((r) => `  ${r.runId}: ${r.note}`);
  return notes.length ? `${listed}\n\n${notes.join('\n')}` : listed;
}

/** `bench sandbox up` / `status` for people. */
export function formatSandboxStatus(status: SandboxStatus): string {
  if (status.parts.length === 0) return `The local cloud is not set up in ${status.dir}: run \`bench sandbox up\`.`;
  const lines = [
    table(
      ['part', 'port', 'pid', 'health'],
      status.parts.map((p) => [
        p.part,
        String(p.port),
        p.pid === undefined ? '-' : String(p.pid),
        p.healthy ? 'healthy' : p.running ? 'NOT HEALTHY' : 'stopped',
      ]),
    ),
    '',
  ];
  if (status.up) {
    lines.push(`The local cloud is up (${status.dir}).`);
    for (const [k, v] of Object.entries(status.endpoints)) lines.push(`  ${k}=${v}`);
    lines.push(`Use it from a shell: source ${status.envFile}`);
  } else {
    lines.push(
      `The local cloud is not up (${status.dir}): \`bench sandbox up\` starts it, \`bench sandbox down\` stops what is left.`,
    );
  }
  return lines.join('\n');
}

/** `bench cleanup <run-id>` for people. */
export function formatCleanupRun(result: CleanupRunResult): string {
  if (result.dryRun) {
    return result.alive.length
      ? `Run ${result.runId} has ${result.alive.length} resource(s) alive; \`bench cleanup ${result.runId}\` would remove:\n  ${result.alive.join('\n  ')}`
      : `Run ${result.runId} has nothing alive according to its journal (cleanup would still check the cloud by its tags).`;
  }
  const t = result.teardown;
  return [
    `Run ${result.runId} cleaned up: nothing tagged with its run id is left.`,
    t
      ? `  Kubernetes objects deleted: ${t.deletedKubeObjects.length}; load balancers gone after ${(t.loadBalancersWaitedMs / 1000).toFixed(1)}s; ECR images deleted: ${t.ecrImagesDeleted}; tofu destroy attempts: ${t.destroyAttempts}`
      : '',
    t?.destroyedStateResources.length ? `  tofu destroyed: ${t.destroyedStateResources.join(', ')}` : '',
    t?.deletedCloudResources.length
      ? `  deleted directly (not in the OpenTofu state):\n    ${t.deletedCloudResources.join('\n    ')}`
      : '',
  ]
    .filter(Boolean)
    .join('\n');
}

/**
 * `bench cleanup --orphans` for people: what was found (`list`), what became of it (`outcome`),
 * or both; a list already shown with the confirmation question is not shown again.
 */
export function formatOrphans(result: OrphanResult, part: 'all' | 'list' | 'outcome' = 'all'): string {
  const lines: string[] = [];
  const skipped = result.skipped ?? [];
  const liveRuns = new Set(skipped.map((s) => s.runId));
  if (result.cloud.length === 0 && result.runs.length === 0 && skipped.length === 0)
    return `Nothing with the tool's tags found in ${result.regions.join(', ')}, and no run with resources alive.`;
  const skippedLines = () =>
    skipped.map((s) => `  skipped: ${s.why}; its ${s.resources.length || 'own'} resource(s) are not touched`);
  const outcome = () => {
    lines.push(`Cleaned up runs: ${result.cleanedRuns.join(', ') || 'none'}; deleted: ${result.deleted.length}.`);
    for (const d of result.deleted) lines.push(`  deleted ${d}`);
    if (result.notRemovable.length) lines.push(`Not deleted (still there): ${result.notRemovable.join('; ')}`);
    if (skipped.length) lines.push(...skippedLines());
  };
  if (part === 'outcome') {
    if (!result.acted) return 'Nothing was deleted. Add --yes to delete them.';
    outcome();
    return lines.join('\n');
  }
  if (result.cloud.length) {
    lines.push(`Tagged by bench in ${result.regions.join(', ')}:`);
    lines.push(
      table(
        ['kind', 'name', 'region', 'run'],
        result.cloud.map((r) => {
          const run = r.tags['bench.dev/run-id'] ?? '?';
          return [r.kind, r.name, r.region, liveRuns.has(run) ? `${run} (running: skipped)` : run];
        }),
      ),
    );
  }
  if (result.runs.length) {
    lines.push('', 'Runs with resources alive (cleaned up from their journals):');
    for (const r of result.runs) lines.push(`  ${r.runId} (${r.status}): ${r.alive.join(', ') || 'tagged resources'}`);
  }
  if (skipped.length) lines.push('', 'Running runs (never touched):', ...skippedLines());
  if (part === 'list') return lines.join('\n');
  if (!result.acted) lines.push('', 'Nothing was deleted. Add --yes to delete them.');
  else {
    lines.push('');
    outcome();
  }
  return lines.join('\n');
}

/** The summary `bench run` prints at the end (metrics and the report arrive with their issue). */
export function formatRunResult(result: RunResult): string {
  const lines = [`Run ${result.runId}: ${result.suite} on ${result.target}, ${result.status}.`];
  if (result.phases.length) {
    lines.push(
      table(
        ['phase', 'planned', 'started', 'ended', 'load changes'],
        result.phases.map((p) => [
          p.phase,
          formatDuration(p.plannedSeconds),
          p.startedAt.slice(11, 19),
          p.endedAt.slice(11, 19),
          p.actions
            .map((a) =>
              a.action === 'scale' ? `${a.detail.replicas}` : a.action === 'rate' ? `rate ${a.detail.value}` : a.action,
            )
            .join(' → ') || '-',
        ]),
      ),
    );
  }
  for (const p of result.placements) lines.push(`  ${p.ok ? 'ok' : 'FAIL'} ${p.name}: ${p.detail}`);
  for (const [svc, host] of Object.entries(result.loadBalancers)) lines.push(`  load balancer ${svc}: ${host}`);
  lines.push(...formatRunFigures(result));
  if (result.teardown)
    lines.push(
      `Torn down: nothing tagged with the run id is left (load balancers gone after ${(result.teardown.loadBalancersWaitedMs / 1000).toFixed(1)}s).`,
    );
  if (result.cleanupCommand) lines.push(`Left running (--keep). Remove it with: ${result.cleanupCommand}`);
  if (result.report) lines.push(`Report: ${result.report.md} (also ${result.report.html}, ${result.report.json})`);
  lines.push(`Journal and rendered manifests: ${result.runDir}`);
  return lines.join('\n');
}

/**
 * What the run measured: the simulation warning first (a reader must not take a simulator's
 * numbers for the system's), each gate with its value, threshold and outcome, then each
 * metric's active-phase headline figure.
 */
export function formatRunFigures(result: Pick<RunResult, 'gates' | 'headlines' | 'simulated'>): string[] {
  const lines: string[] = [];
  if (result.simulated) lines.push(`SIMULATED: ${result.simulated}`);
  if (result.gates.length > 0) {
    const held = result.gates.filter((g) => g.outcome === 'PASS').length;
    lines.push(
      `Gates: ${held === result.gates.length ? 'PASS' : 'FAIL'}, ${held} of ${result.gates.length} held`,
      table(
        ['result', 'gate', 'value', 'threshold'],
        result.gates.map((g) => [g.outcome, `${g.metric} ${g.stat} during ${g.phase}`, g.valueText, g.thresholdText]),
      ),
    );
  }
  if (result.headlines.length > 0) {
    const simulated = result.headlines.some((h) => h.simulated);
    lines.push(
      'Headline figures (active phase):',
      table(
        ['metric', 'stat', 'value', ...(simulated ? ['source'] : [])],
        result.headlines.map((h) => [
          h.metric,
          h.stat,
          h.text,
          ...(simulated ? [h.simulated ? 'simulated' : 'measured'] : []),
        ]),
      ),
    );
  }
  return lines;
}

/** The summary `bench compare` prints (the same facts as its --json result). */
export function formatCompareResult(result: CompareRunResult): string {
  const lines = [
    `Comparison ${result.runId}: ${result.arms.map((a) => a.name).join(' vs ')} (${result.suite} on ${result.target}, ${result.mode}), ${result.status}.`,
    `  ${result.trials.length} trial(s): ${result.sweepParam} = ${result.sizes.join(', ')} x ${result.repeat} repetition(s), seed ${result.seed}`,
  ];
  if (result.verdicts.length) lines.push('Verdicts:', ...result.verdicts.map((v) => `  - ${v}`));
  if (result.teardown)
    lines.push(
      `Torn down: nothing tagged with the run id is left (load balancers gone after ${(result.teardown.loadBalancersWaitedMs / 1000).toFixed(1)}s).`,
    );
  if (result.cleanupCommand) lines.push(`Left running. Remove it with: ${result.cleanupCommand}`);
  if (result.report) lines.push(`Report: ${result.report.md} (also ${result.report.html}, ${result.report.json})`);
  lines.push(`Journal and raw data: ${result.runDir}`);
  return lines.join('\n');
}
