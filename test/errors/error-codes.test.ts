import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { ERROR_CODES_DOC, renderErrorCodesDoc } from '../../scripts/error-codes-doc.ts';
import { ERROR_CODES } from '../../src/errors/codes.ts';
import type { BenchError } from '../../src/errors.ts';
import { GateError, InfrastructureError, TeardownError, UsageError } from '../../src/errors.ts';
import { ROOT } from '../helpers/cli.ts';

/** Every quoted `'E_...'` in src (read here, not by grep: a unit test starts no process). */
function codesInSource(): string[] {
  const src = join(ROOT, 'src');
  const files = readdirSync(src, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.ts'));
  const codes = files.flatMap((f) =>
    [...readFileSync(join(src, f), 'utf8').matchAll(/'(E_[A-Z0-9_]+)'/g)].map((m) => m[1]!),
  );
  return [...new Set(codes)].sort();
}

describe('the error-code registry', () => {
  it('registers every code src uses, and no code src does not use', () => {
    const registered = Object.keys(ERROR_CODES).sort();
    assert.deepEqual(registered, codesInSource());
  });

  it('gives every code a one-line description', () => {
    for (const [code, entry] of Object.entries(ERROR_CODES)) {
      assert.ok(entry.description.length > 10, code);
      assert.ok(!entry.description.includes('\n'), code);
    }
  });

  it("matches each error class's exit code: a code is registered for the kinds it is raised as", () => {
    const errors: BenchError[] = [
      new UsageError('E_RUN_UNKNOWN', 'x'),
      new InfrastructureError('E_TOFU', 'x'),
      new GateError('E_GATE_FAILED', 'x'),
      new TeardownError('E_TEARDOWN_LEFTOVERS', 'x'),
    ];
    for (const e of errors) {
      const kinds: readonly string[] = ERROR_CODES[e.code].kinds;
      assert.ok(kinds.includes(e.kind), `${e.code} is raised as ${e.kind}`);
    }
    assert.deepEqual(
      errors.map((e) => e.exitCode),
      [2, 3, 4, 5],
    );
  });
});

describe('docs/error-codes.md', () => {
  it('is what `node scripts/error-codes-doc.ts` generates (run it after changing the registry)', () => {
    assert.equal(readFileSync(ERROR_CODES_DOC, 'utf8'), renderErrorCodesDoc());
  });

  it('has one row per code with its exit code', () => {
    const text = renderErrorCodesDoc();
    assert.match(text, /^\| `E_JOURNAL_RECORD` \| 2 \(usage\) \| .+ \|$/m);
    assert.match(text, /^\| `E_TOFU_MISSING` \| 2 \(usage\) or 3 \(infrastructure\) \| .+ \|$/m);
    assert.match(text, /^\| `E_INTERRUPTED` \| 130 \(interrupted\) \| .+ \|$/m);
    assert.match(text, /^\| `E_COLLECT` \| none \(journal only\) \| .+ \|$/m);
    assert.equal(text.split('\n').filter((l) => l.startsWith('| `E_')).length, Object.keys(ERROR_CODES).length);
  });
});
