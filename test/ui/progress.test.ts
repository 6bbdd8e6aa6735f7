import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { describe, it } from 'node:test';
import { stripVTControlCharacters } from 'node:util';
import { EventBus } from '../../src/run/events.ts';
import { withProgress } from '../../src/ui/progress.ts';

function capture(): { stream: NodeJS.WriteStream; text: () => string } {
  const stream = new PassThrough() as unknown as NodeJS.WriteStream;
  Object.assign(stream, { isTTY: true, columns: 120, rows: 40 });
  let text = '';
  (stream as unknown as PassThrough).on('data', (d: Buffer) => (text += d.toString()));
  return { stream, text: () => stripVTControlCharacters(text) };
}

describe('live progress', () => {
  it('shows a listr2 task per phase: done, failed, or skipped when a later phase started', async () => {
    const events = new EventBus();
    const out = capture();
    const result = await withProgress(
      { phases: ['provision', 'connect', 'teardown'], events, json: false, live: true, stream: out.stream },
      async () => {
        events.emit('info', 'provision', 'phase.start', 'tofu apply of infra/sandbox');
        events.emit('info', 'provision', 'tofu.progress', 'tofu apply 2/4 terraform_data.cluster (3s)');
        await new Promise((r) => setTimeout(r, 150));
        events.emit('error', 'provision', 'phase.failed', 'tofu apply failed: quota exceeded');
        events.emit('info', 'teardown', 'phase.start', 'tearing down run r1');
        await new Promise((r) => setTimeout(r, 50));
        events.emit('info', 'teardown', 'phase.end', 'nothing of the run is left');
        return 42;
      },
    );
    assert.equal(result, 42);
    const text = out.text();
    assert.match(text, /provision: tofu apply failed: quota exceeded|tofu apply failed: quota exceeded/);
    assert.match(text, /connect: not run/);
    assert.match(text, /teardown: nothing of the run is left/);
  });

  it('writes plain lines when no person watches (CI, pipes)', async () => {
    const events = new EventBus();
    const lines: string[] = [];
    const write = process.stderr.write.bind(process.stderr);
    process.stderr.write = (chunk: string) => (lines.push(String(chunk)), true);
    try {
      await withProgress({ phases: ['teardown'], events, json: false, live: false }, async () => {
        events.emit('info', 'teardown', 'phase.start', 'tearing down run r2');
      });
    } finally {
      process.stderr.write = write;
    }
    assert.match(lines.join(''), /teardown +tearing down run r2/);
  });
});
