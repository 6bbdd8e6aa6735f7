import assert from 'node:assert/strict';
import { appendFileSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { aliveResources, Journal, readJournal } from '../../src/run/journal.ts';
import { tempDir } from '../helpers/tmp.ts';

describe('journal', () => {
  it('appends one JSON record per line, each stamped with the time', () => {
    const path = join(tempDir(), 'journal');
    const journal = Journal.open(path);
    journal.append({ type: 'phase-start', phase: 'provision' });
    journal.append({ type: 'resource-created', resource: { kind: 'tofu-state', id: '/x/terraform.tfstate' } });
    journal.close();
    const lines = readFileSync(path, 'utf8').trimEnd().split('\n');
    assert.equal(lines.length, 2);
    const first = JSON.parse(lines[0] as string) as { t: string; type: string };
    assert.equal(first.type, 'phase-start');
    assert.ok(!Number.isNaN(Date.parse(first.t)));
  });

  it('survives a record cut mid-line: the cut record is ignored, everything before it is kept', () => {
    const path = join(tempDir(), 'journal');
    const journal = Journal.open(path);
    journal.append({ type: 'phase-start', phase: 'provision' });
    journal.append({ type: 'resource-created', resource: { kind: 'namespace', id: 'thyme-benchmark' } });
    journal.close();
    // A crash while writing the third record leaves half a line behind.
    appendFileSync(path, '{"t":"2026-11-21T00:00:00.000Z","type":"resource-created","resource":{"kind":"serv');

    const crashed = readJournal(path);
    assert.equal(crashed.records.length, 2);
    assert.equal(crashed.skippedLines, 1);
    assert.deepEqual(aliveResources(crashed.records), [{ kind: 'namespace', id: 'thyme-benchmark' }]);

    // Whoever opens the journal next (cleanup, a resumed run) must not glue its record to the cut one.
    const resumed = Journal.open(path);
    resumed.append({ type: 'resource-deleted', resource: { kind: 'namespace', id: 'thyme-benchmark' } });
    resumed.close();
    const after = readJournal(path);
    assert.equal(after.records.length, 3);
    assert.equal(after.skippedLines, 1);
    assert.deepEqual(aliveResources(after.records), []);
  });

  it('skips lines that are not records without losing the rest', () => {
    const path = join(tempDir(), 'journal');
    writeFileSync(
      path,
      '{"t":"x","type":"note","phase":"p","message":"a"}\n[1,2]\nnot json\n{"t":"y","type":"note","phase":"p","message":"b"}\n',
    );
    const { records, skippedLines } = readJournal(path);
    assert.deepEqual(
      records.map((r) => (r.type === 'note' ? r.message : '')),
      ['a', 'b'],
    );
    assert.equal(skippedLines, 2);
  });
});
