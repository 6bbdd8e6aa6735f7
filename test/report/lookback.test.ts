import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { queryLookbackSeconds, trimLookback } from '../../src/report/model.ts';

describe('lookback of range queries', () => {
  it('is the longest range selector of the expression', () => {
    assert.equal(
      queryLookbackSeconds('sum(rate(otelcol_receiver_accepted_log_records_total{service_name="nop-collector"}[1m]))'),
      60,
    );
    assert.equal(queryLookbackSeconds('rate(a[5s]) / rate(b[1m30s])'), 90);
    assert.equal(queryLookbackSeconds('max_over_time(rate(x[30s])[5m:15s])'), 300);
    assert.equal(queryLookbackSeconds('otelcol_process_runtime_heap_alloc_bytes'), 0);
    assert.equal(
      queryLookbackSeconds('x{le="[1m]"}'),
      60,
      'a bracket in a label value is read too: harmless, it only trims',
    );
  });

  it("trims a phase's first lookback, at most half of the phase", () => {
    assert.deepEqual(trimLookback({ startMs: 0, endMs: 1_800_000 }, 60_000), { startMs: 60_000, endMs: 1_800_000 });
    assert.deepEqual(trimLookback({ startMs: 0, endMs: 40_000 }, 60_000), { startMs: 20_000, endMs: 40_000 });
    assert.deepEqual(trimLookback({ startMs: 0, endMs: 40_000 }, 0), { startMs: 0, endMs: 40_000 });
  });
});
