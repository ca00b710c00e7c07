import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CronSchedule } from '../../src/jobs/cron.js';
import { dueOccurrences, STRICT_BATCH } from '../../src/jobs/misfire.js';

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

function occurrences(s: CronSchedule, from: string, to: string): string[] {
  const out: string[] = [];
  let t = s.next(Date.parse(from));
  while (t !== null && t < Date.parse(to)) {
    out.push(iso(t)!);
    t = s.next(t);
  }
  return out;
}

describe('cron schedules', () => {
  it('02:30 daily in Europe/Berlin runs once a day across both DST transitions', () => {
    const s = new CronSchedule('30 2 * * *', 'Europe/Berlin');
    // Spring forward on 2026-03-29: 02:30 does not exist that day; it runs at the first valid time after it.
    assert.deepEqual(occurrences(s, '2026-03-27T00:00:00Z', '2026-03-31T00:00:00Z'), [
      '2026-03-27T01:30:00.000Z', // 02:30 CET
      '2026-03-28T01:30:00.000Z',
      '2026-03-29T01:00:00.000Z', // 03:00 CEST, the first time after the gap
      '2026-03-30T00:30:00.000Z', // 02:30 CEST
    ]);
    // Fall back on 2026-10-25: 02:30 happens twice; it runs once.
    assert.deepEqual(occurrences(s, '2026-10-23T00:00:00Z', '2026-10-27T00:00:00Z'), [
      '2026-10-23T00:30:00.000Z',
      '2026-10-24T00:30:00.000Z',
      '2026-10-25T00:30:00.000Z',
      '2026-10-26T01:30:00.000Z',
    ]);
  });

  it('takes seconds, names and time zones', () => {
    assert.equal(iso(new CronSchedule('*/10 * * * * *', 'UTC').next(Date.parse('2026-01-01T00:00:01Z'))), '2026-01-01T00:00:10.000Z');
    assert.equal(iso(new CronSchedule('@daily', 'UTC').next(Date.parse('2026-01-01T00:00:00Z'))), '2026-01-02T00:00:00.000Z');
    assert.equal(iso(new CronSchedule('0 3 * * *', 'America/New_York').next(Date.parse('2026-01-01T00:00:00Z'))), '2026-01-01T08:00:00.000Z');
  });

  it('rejects invalid expressions and time zones, naming the field', () => {
    assert.throws(() => new CronSchedule('61 * * * *', 'UTC'), /cron: "61 \* \* \* \*" is not a valid cron expression/);
    assert.throws(() => new CronSchedule('* * *', 'UTC'), /cron:/);
    assert.throws(() => new CronSchedule('* * * * *', 'Mars/Olympus'), /timeZone: "Mars\/Olympus" is not a known IANA time zone/);
  });
});

describe('misfire policies', () => {
  const minute = new CronSchedule('* * * * *', 'UTC');
  const next = (t: number) => minute.next(t);
  const T = Date.parse('2026-01-01T00:01:00Z');
  const now = T + 4 * 60_000 + 30_000; // five occurrences missed: 00:01 .. 00:05, now 00:05:30

  it('relaxed runs once, at the latest missed occurrence', () => {
    const r = dueOccurrences(next, T, now, 'relaxed', 2000);
    assert.deepEqual(r.run.map(iso), ['2026-01-01T00:05:00.000Z']);
    assert.equal(iso(r.nextExecution), '2026-01-01T00:06:00.000Z');
  });

  it('strict runs once per missed occurrence, in batches', () => {
    const r = dueOccurrences(next, T, now, 'strict', 2000);
    assert.deepEqual(r.run.map(iso), ['00:01', '00:02', '00:03', '00:04', '00:05'].map((m) => `2026-01-01T${m}:00.000Z`));
    assert.equal(iso(r.nextExecution), '2026-01-01T00:06:00.000Z');
    const many = dueOccurrences(next, T, T + 2 * STRICT_BATCH * 60_000, 'strict', 2000);
    assert.equal(many.run.length, STRICT_BATCH);
    assert.equal(many.nextExecution, T + STRICT_BATCH * 60_000, 'the rest follows in the next pass');
  });

  it('ignorable skips stale occurrences and runs a fresh one', () => {
    const stale = dueOccurrences(next, T, now, 'ignorable', 2000);
    assert.deepEqual(stale.run, []);
    assert.equal(iso(stale.nextExecution), '2026-01-01T00:06:00.000Z');
    const fresh = dueOccurrences(next, T + 4 * 60_000, T + 4 * 60_000 + 1500, 'ignorable', 2000);
    assert.deepEqual(fresh.run.map(iso), ['2026-01-01T00:05:00.000Z']);
  });

  it('nothing is due before the next execution', () => {
    assert.deepEqual(dueOccurrences(next, T, T - 1, 'strict', 2000), { run: [], nextExecution: T });
  });
});
