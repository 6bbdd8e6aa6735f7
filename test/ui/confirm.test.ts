import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { describe, it } from 'node:test';
import { terminalConfirm } from '../../src/ui/confirm.ts';

/** A stdin that says it is a terminal, fed by the test. */
function terminal(): PassThrough & { isTTY: boolean } {
  return Object.assign(new PassThrough(), { isTTY: true });
}

describe("the run's confirmation at the terminal", () => {
  it('is there only when a person is: stdin and stderr both terminals', () => {
    assert.equal(terminalConfirm({ input: new PassThrough(), output: { isTTY: true } }), undefined);
    assert.equal(terminalConfirm({ input: terminal(), output: { isTTY: false } }), undefined);
    assert.equal(typeof terminalConfirm({ input: terminal(), output: { isTTY: true } }), 'function');
  });

  it('reads y or yes as yes, anything else (or the end of input) as no', async () => {
    for (const [typed, expected] of [
      ['y\n', true],
      ['YES\n', true],
      [' yes \n', true],
      ['n\n', false],
      ['\n', false],
      ['yep\n', false],
    ] as const) {
      const input = terminal();
      const confirm = terminalConfirm({ input, output: { isTTY: true } })!;
      const answer = confirm('Create the cluster?');
      input.write(typed);
      assert.equal(await answer, expected, JSON.stringify(typed));
    }
    const input = terminal();
    const answer = terminalConfirm({ input, output: { isTTY: true } })!('Create the cluster?');
    input.end();
    assert.equal(await answer, false);
  });

  it('gives up when the run is interrupted (Ctrl-C) while waiting', async () => {
    const controller = new AbortController();
    const answer = terminalConfirm({ input: terminal(), output: { isTTY: true } })!('Create?', controller.signal);
    controller.abort(new Error('interrupted'));
    await assert.rejects(answer, /interrupted/);
  });
});
