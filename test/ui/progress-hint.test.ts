import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { describe, it } from 'node:test';
import { stripVTControlCharacters } from 'node:util';
import { EventBus } from '../../src/run/events.ts';
import { withProgress } from '../../src/ui/progress.ts';

describe('live progress keeps hints', () => {
  it("shows `bench grafana <run-id>` under deploy's final line, after later output replaced it", async () => {
    const stream = new PassThrough() as unknown as NodeJS.WriteStream;
    Object.assign(stream, { isTTY: true, columns: 120, rows: 40 });
    let text = '';
    (stream as unknown as PassThrough).on('data', (d: Buffer) => (text += d.toString()));
    const events = new EventBus();
    await withProgress({ phases: ['deploy', 'verify'], events, json: false, live: true, stream }, async () => {
      events.emit('info', 'deploy', 'phase.start', 'applying 12 objects');
      events.emit('info', 'deploy', 'run.hint', 'Grafana: bench grafana thyme-20261203-010203-ab12');
      events.emit('info', 'deploy', 'deploy.tier', 'applied Deployment lgtm');
      await new Promise((r) => setTimeout(r, 150));
      events.emit('info', 'deploy', 'phase.end', '12 objects applied');
      events.emit('info', 'verify', 'phase.start', 'waiting for workloads');
      await new Promise((r) => setTimeout(r, 150));
      events.emit('info', 'verify', 'phase.end', 'all Ready');
    });
    const final = stripVTControlCharacters(text);
    // The last frame still carries the hint, right under the deploy line.
    const last = final.slice(final.lastIndexOf('deploy: 12 objects applied'));
    assert.match(last, /^deploy: 12 objects applied\n\s+Grafana: bench grafana thyme-20261203-010203-ab12/);
  });
});
