import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import type { KubeCluster } from '../../src/adapters/kube-cluster.ts';
import { describeRef } from '../../src/adapters/kube-cluster.ts';
import { cleanupRun, teardownFromJournal } from '../../src/engine/cleanup.ts';
import { teardown } from '../../src/phases/teardown.ts';
import { EventBus } from '../../src/run/events.ts';
import { Journal, readJournal, type JournalEntry, type JournalRecord } from '../../src/run/journal.ts';
import { tempDir } from '../helpers/tmp.ts';

const RUN = 'thyme-20261203-010000-abcd';
/** The run-start options as a run writes them (src/engine/run/context.ts prepareRun), by hand. */
const OPTIONS = {
  suiteRef: 'thyme',
  suiteDir: '/suites/thyme',
  region: 'eu-central-1',
  clusterName: 'thyme-abcd',
  tofu: {
    moduleDir: '/infra/sandbox',
    workDir: '/runs/x/tofu',
    binary: '/cache/tofu',
    kind: 'tofu',
    version: '1.10.0',
  },
  ecrRepositories: ['thyme', 'nop-collector'],
  lbPollMs: 1000,
  teardownDeadlineMs: 600_000,
  keep: false,
};
type RecordOptions = Parameters<typeof teardownFromJournal>[1];

const created = (resource: Record<string, unknown>): JournalEntry =>
  ({ type: 'resource-created', resource }) as JournalEntry;
const deleted = (resource: Record<string, unknown>, evidence?: string): JournalEntry =>
  ({ type: 'resource-deleted', resource, ...(evidence ? { evidence } : {}) }) as JournalEntry;
const kube = (objectKind: string, name: string, namespace?: string, apiVersion = 'v1') => ({
  kind: 'kube-object',
  id: `${objectKind} ${namespace ? `${namespace}/` : ''}${name}`,
  apiVersion,
  objectKind,
  name,
  ...(namespace ? { namespace } : {}),
});
const STATE = {
  kind: 'tofu-state',
  id: '/runs/x/tofu',
  module: '/infra/sandbox',
  binary: '/cache/tofu',
  variables: { cluster_name: 'thyme-abcd', run_id: RUN, node_count: 3 },
};
const NS = kube('Namespace', 'thyme-benchmark');
const LOGGEN = kube('Deployment', 'log-generator', 'thyme-benchmark', 'apps/v1');
const GRAFANA = kube('Service', 'grafana', 'thyme-benchmark');
const ROLE = kube('ClusterRole', 'thyme', undefined, 'rbac.authorization.k8s.io/v1');

/** A journal written by hand into a runs directory, as a crashed run leaves it. */
function handWritten(entries: JournalEntry[], options: Record<string, unknown> = OPTIONS) {
  const runsDir = tempDir();
  mkdirSync(join(runsDir, RUN));
  const journal = Journal.open(join(runsDir, RUN, 'journal'));
  // pid 0 on another host: not a live run.
  journal.append({
    type: 'run-start',
    runId: RUN,
    suite: 'thyme',
    target: 'sandbox',
    pid: 0,
    host: 'elsewhere',
    options,
  });
  for (const e of entries) journal.append(e);
  journal.close();
  const records = readJournal(join(runsDir, RUN, 'journal')).records;
  const start = records.find((r) => r.type === 'run-start') as Extract<JournalRecord, { type: 'run-start' }>;
  return { runsDir, records, options: start.options as unknown as RecordOptions };
}

describe('bench cleanup rebuilds the teardown from the journal alone', () => {
  it('a run that crashed in its load phases: the live state with its recorded variables, the objects still alive', async () => {
    // The ramp replaced the workload once: the first Job was removed and journaled so.
    const job1 = kube('Job', 'workload-1', 'thyme-benchmark', 'batch/v1');
    const job2 = kube('Job', 'workload-2', 'thyme-benchmark', 'batch/v1');
    const { records, options, runsDir } = handWritten([
      created(STATE),
      ...[NS, LOGGEN, GRAFANA, ROLE, job1].map(created),
      deleted(job1),
      created(job2),
    ]);
    const rebuilt = teardownFromJournal(records, options);
    assert.deepEqual(rebuilt.tofuPlan, {
      moduleDir: '/infra/sandbox',
      workDir: '/runs/x/tofu',
      binary: '/cache/tofu',
      kind: 'tofu',
      version: '1.10.0',
      variables: { cluster_name: 'thyme-abcd', run_id: RUN, node_count: 3 },
    });
    assert.deepEqual(
      rebuilt.recorded.map((r) => r.id),
      [
        'Namespace thyme-benchmark',
        'Deployment thyme-benchmark/log-generator',
        'Service thyme-benchmark/grafana',
        'ClusterRole thyme',
        'Job thyme-benchmark/workload-2',
      ],
    );
    assert.equal(rebuilt.clusterName, 'thyme-abcd');
    assert.deepEqual(rebuilt.ecrRepositories, ['thyme', 'nop-collector']);
    assert.equal(rebuilt.deadlineMs, 600_000);
    assert.equal(rebuilt.pollMs, 1000);
    // The dry run shows the same from the journal: the state and every object alive.
    const dry = await cleanupRun({ runId: RUN, runsDir, dryRun: true, env: {} });
    assert.deepEqual(dry.alive, [
      'tofu-state /runs/x/tofu',
      'kube-object Namespace thyme-benchmark',
      'kube-object Deployment thyme-benchmark/log-generator',
      'kube-object Service thyme-benchmark/grafana',
      'kube-object ClusterRole thyme',
      'kube-object Job thyme-benchmark/workload-2',
    ]);
    assert.equal(dry.teardown, undefined);
  });

  it('what a teardown already saw gone is not torn down again; a destroyed state is not destroyed again', () => {
    const { records, options } = handWritten([
      created(STATE),
      ...[NS, LOGGEN, GRAFANA, ROLE].map(created),
      deleted(GRAFANA, 'deleted'),
      deleted(ROLE, 'deleted'),
      deleted(STATE),
    ]);
    const rebuilt = teardownFromJournal(records, options);
    assert.equal(rebuilt.tofuPlan, undefined);
    assert.deepEqual(
      rebuilt.recorded.map((r) => r.id),
      ['Namespace thyme-benchmark', 'Deployment thyme-benchmark/log-generator'],
    );
  });

  it('a run without a tofu of its own (an existing cluster) has no state to destroy, even with one alive', () => {
    const { records, options } = handWritten([created(STATE), created(NS)], { ...OPTIONS, tofu: undefined });
    assert.equal(teardownFromJournal(records, options).tofuPlan, undefined);
  });

  it("an older journal's run-start without teardown settings gets the defaults", () => {
    const { records, options } = handWritten([created(NS)], {
      suiteDir: '/suites/thyme',
      clusterName: 'thyme-abcd',
      tofu: OPTIONS.tofu,
    });
    const rebuilt = teardownFromJournal(records, options);
    assert.deepEqual(rebuilt.ecrRepositories, []);
    assert.equal(rebuilt.deadlineMs, 1_200_000);
    assert.equal(rebuilt.pollMs, 5000);
    // No state recorded as created: nothing to destroy, whatever the run-start says of its tofu.
    assert.equal(rebuilt.tofuPlan, undefined);
  });

  it('teardown of the rebuilt input deletes the recorded Services first, then the namespaces and cluster-wide objects', async () => {
    const { records, options } = handWritten([created(STATE), ...[NS, LOGGEN, GRAFANA, ROLE].map(created)]);
    const rebuilt = teardownFromJournal(records, options);
    const deletedObjects: string[] = [];
    // A cluster whose label search finds nothing: whatever is deleted comes from the journal.
    const cluster: KubeCluster = {
      listRunLoadBalancers: async () => [],
      listRunNamespaces: async () => [],
      deleteObject: async (ref) => void deletedObjects.push(describeRef(ref)),
      deleteAny: async (ref) => void deletedObjects.push(`${ref.kind} ${ref.name}`),
      objectExists: async () => false,
      waitForObjectsGone: async () => undefined,
    };
    const journal = Journal.open(join(tempDir(), 'journal'));
    const result = await teardown({
      runId: RUN,
      target: 'kube',
      clusterName: rebuilt.clusterName,
      journal,
      events: new EventBus(),
      kube: cluster,
      aws: undefined,
      tofu: undefined,
      ecrRepositories: rebuilt.ecrRepositories,
      recorded: rebuilt.recorded,
      deadlineMs: rebuilt.deadlineMs,
      pollMs: rebuilt.pollMs,
    });
    journal.close();
    assert.deepEqual(deletedObjects, [
      'Service thyme-benchmark/grafana',
      'Namespace thyme-benchmark',
      'ClusterRole thyme',
    ]);
    assert.deepEqual(result.deletedKubeObjects, deletedObjects);
  });
});
