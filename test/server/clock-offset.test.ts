import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ClockOffset, MAX_SAMPLE_ROUND_TRIP_MS, MIN_CORRECTION_MS, correctedClock } from '../../src/clock-offset.js';

describe('clock offset (NTP-style)', () => {
  it('is 0 until measured, then storage time minus the midpoint of the round trip', () => {
    const offset = new ClockOffset();
    assert.equal(offset.ms, 0);
    assert.equal(offset.measured, false);
    assert.equal(offset.add(1_000, 6_000, 1_010), true);
    assert.equal(offset.ms, 4_995);
    assert.equal(correctedClock({ now: () => 10_000 }, offset).now(), 14_995);
  });

  it('ignores samples whose round trip is long or negative, and keeps the best of the recent ones', () => {
    const offset = new ClockOffset();
    offset.add(1_000, 6_000, 1_010);
    assert.equal(offset.add(2_000, 9_000, 2_000 + MAX_SAMPLE_ROUND_TRIP_MS + 1), false, 'a long round trip');
    assert.equal(offset.add(3_000, 9_000, 2_999), false, 'a clock going back mid-sample');
    assert.equal(offset.add(Number.NaN, 1, 2), false);
    assert.equal(offset.ms, 4_995);
    // A slower sample saying something else does not move it: the 10 ms one bounds the error better.
    assert.equal(offset.add(3_000, 8_350, 3_300), true);
    assert.equal(offset.ms, 4_995);
  });

  it('smooths small changes in, takes a step over a second at once, and forgets samples past the window', () => {
    const offset = new ClockOffset();
    offset.add(1_000, 6_000, 1_010); // 4995, round trip 10
    offset.add(2_000, 7_097, 2_004); // 5095, round trip 4: the new best
    assert.equal(offset.ms, 5_025, 'smoothed: 4995 + 0.3 × 100');
    offset.add(3_000, 12_001, 3_002); // 9000, round trip 2: a step of the clock
    assert.equal(offset.ms, 9_000);
    // Eight samples of 9100 with a round trip of 100: while the round-trip-2 sample is among the
    // last 8 it stays the best; the eighth pushes it out, and the estimate moves toward 9100.
    for (let i = 0; i < 7; i++) offset.add(10_000 + i * 1_000, 19_150 + i * 1_000, 10_100 + i * 1_000);
    assert.equal(offset.ms, 9_000);
    offset.add(17_000, 26_150, 17_100);
    assert.equal(offset.ms, 9_030);
  });
});

describe('clock offset on one host', () => {
  it('takes an offset under MIN_CORRECTION_MS as the measurement error it is: no correction', () => {
    const offset = new ClockOffset();
    assert.equal(offset.add(1_000, 1_003, 1_002), true, 'measured 2 ms, within a 2 ms round trip');
    assert.equal(offset.measured, true);
    assert.equal(offset.ms, 0);
    const past = new ClockOffset();
    past.add(1_000, 1_000 + MIN_CORRECTION_MS + 1, 1_000);
    assert.equal(past.ms, MIN_CORRECTION_MS + 1);
  });
});
