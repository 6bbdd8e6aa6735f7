import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { parseAllDocuments } from 'yaml';
import type { KubeWorkloads } from '../../src/adapters/kube-workloads.ts';
import { deploy } from '../../src/phases/deploy.ts';
import { EventBus, type BenchEvent } from '../../src/run/events.ts';
import { Journal } from '../../src/run/journal.ts';
import type { KubeObject, RenderedObject } from '../../src/suite/render.ts';
import { runCli } from '../helpers/cli.ts';
import { tempDir } from '../helpers/tmp.ts';

/** The objects `bench plan <suite>` renders, as the deploy phase receives them. */
function rendered(suite: string): RenderedObject[] {
  const out = join(tempDir(), 'plan');
  assert.equal(runCli('bench', ['plan', suite, '--target', 'sandbox', '--out', out]).status, 0);
  return readdirSync(out)
    .sort()
    .flatMap((f) => parseAllDocuments(readFileSync(join(out, f), 'utf8')).map((d) => d.toJS() as KubeObject))
    .map((object) => ({ source: 'plan', stage: 'deploy' as const, variant: undefined, object }));
}

async function deployEvents(suite: string): Promise<BenchEvent[]> {
  const runDir = tempDir();
  const events = new EventBus();
  const seen: BenchEvent[] = [];
  events.subscribe((e) => seen.push(e));
  // Only apply is used by deploy; it answers as a server-side apply would.
  const kube = {
    apply: async (o: KubeObject) => ({
      kind: o.kind,
      namespace: o.metadata.namespace,
      name: o.metadata.name,
      uid: `uid-${o.metadata.name}`,
      resourceVersion: '1',
    }),
  } as unknown as KubeWorkloads;
  await deploy({
    objects: rendered(suite),
    runId: `${suite}-20261203-010203-ab12`,
    runDir,
    kube,
    journal: Journal.open(join(runDir, 'journal')),
    events,
  });
  return seen;
}

describe("a run's progress names the command that opens its Grafana", () => {
  it('thyme (which deploys Grafana): `bench grafana <run-id>`, before deploy ends', async () => {
    const seen = await deployEvents('thyme');
    const hint = seen.findIndex((e) => e.code === 'run.hint');
    assert.ok(hint >= 0, 'a hint was emitted');
    assert.equal(seen[hint]?.message, 'Grafana: bench grafana thyme-20261203-010203-ab12');
    assert.ok(hint < seen.findIndex((e) => e.code === 'phase.end'), 'inside the deploy phase, so its line keeps it');
  });

  it('koorde (no Grafana): no hint', async () => {
    assert.equal((await deployEvents('koorde')).filter((e) => e.code === 'run.hint').length, 0);
  });
});
