import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { hangfireBackoffMs } from '../../src/index.js';
import { retryPolicy } from '../../src/jobs/retry-policy.js';

describe('retry policy', () => {
  it("Hangfire's back-off stays within (n-1)^4 + 15 + [0, 29]·n seconds for every retry and random draw", () => {
    for (let n = 1; n <= 20; n++) {
      const floor = (Math.pow(n - 1, 4) + 15) * 1000;
      const ceiling = floor + 29 * n * 1000;
      for (const r of [0, 0.0001, 0.25, 0.5, 0.999999]) {
        const ms = hangfireBackoffMs(n, () => r);
        assert.ok(ms >= floor && ms <= ceiling, `retry ${n}, random ${r}: ${ms} ms not in [${floor}, ${ceiling}]`);
        assert.equal(ms % 1000, 0);
      }
    }
    assert.equal(hangfireBackoffMs(1, () => 0), 15_000, 'the first retry after 15-44 s');
    assert.equal(hangfireBackoffMs(1, () => 0.999), 44_000);
    const tenth = hangfireBackoffMs(10, () => 0.5) / 3_600_000;
    assert.ok(tenth > 1.8 && tenth < 1.9, `the tenth after about 1.9 h, got ${tenth.toFixed(2)} h`);
    let total = 0;
    for (let n = 1; n <= 10; n++) total += hangfireBackoffMs(n, () => 0.5);
    assert.ok(total / 3_600_000 > 4 && total / 3_600_000 < 5, 'about 4.5 h in all, as Hangfire');
  });

  it('explicit delays repeat their last value; a function is used as given; defaults follow Hangfire', () => {
    const p = retryPolicy({ attempts: 4, delays: ['1s', 2000] });
    assert.deepEqual([1, 2, 3, 4].map((n) => p.delayMs(n)), [1000, 2000, 2000, 2000]);
    assert.equal(retryPolicy({ delays: (n) => n * 7 }).delayMs(3), 21);
    const d = retryPolicy(undefined);
    assert.equal(d.attempts, 10);
    assert.equal(d.onAttemptsExceeded, 'fail');
  });

  it('rejects bad policies naming the field', () => {
    assert.throws(() => retryPolicy({ attempts: 1.5 }), /retry.attempts: must be a whole number/);
    assert.throws(() => retryPolicy({ delays: [] }), /retry.delays: must not be empty/);
    assert.throws(() => retryPolicy({ delays: ['soon' as '1s'] }), /retry.delays\[0\]/);
    assert.throws(() => retryPolicy({ onAttemptsExceeded: 'explode' as 'fail' }), /retry.onAttemptsExceeded/);
  });
});
