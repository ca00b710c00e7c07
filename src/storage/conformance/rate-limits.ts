import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Storage } from '../contract/index.js';
import { T0, busiestWindow, newJob, withStore, type ConformanceTarget } from './harness.js';

const rated = (key: string, max: number, perMs: number, extra: Parameters<typeof newJob>[0] = {}) =>
  newJob({ name: 'call-api', rateLimit: { key: `call-api:${key}`, max, perMs }, ...extra });

/** Per-key rate limits: a sliding window of starts, checked inside the claim, with time driven by `now`. */
export function rateLimitCases(target: ConformanceTarget): void {
  describe(`${target.name}: rate limits`, () => {
    it('starts at most max per window, exactly: the window reopens at the oldest counted start + perMs', () =>
      withStore(target, async ({ storage }) => {
        const jobs = Array.from({ length: 12 }, () => rated('r', 5, 1000));
        const plain = newJob();
        await storage.createJobs([...jobs, plain], { now: T0 });
        const claim = (now: number) => storage.fetch({ queues: ['default'], max: 10, serverId: 's', leaseMs: 60_000, now });
        assert.equal((await storage.fetch({ queues: ['default'], max: 2, serverId: 's', leaseMs: 60_000, now: T0 })).length, 2);
        const first = await claim(T0 + 300);
        assert.deepEqual(
          first.map((j) => j.id),
          [jobs[2]!.id, jobs[3]!.id, jobs[4]!.id, plain.id],
          'three more of the key, and the plain job behind them is not blocked',
        );
        assert.deepEqual(first[0]!.rateLimit, { key: 'call-api:r', max: 5, perMs: 1000 });
        assert.deepEqual(await claim(T0 + 999), []);
        assert.equal(await storage.nextRateSlot(['default'], T0 + 999), T0 + 1000);
        // At T0 + 1000 the two starts of T0 are a whole window old: two slots reopen.
        assert.equal((await claim(T0 + 1000)).length, 2);
        assert.equal(await storage.nextRateSlot(['default'], T0 + 1000), T0 + 1300);
        assert.deepEqual(await claim(T0 + 1299), []);
        assert.equal((await claim(T0 + 1300)).length, 3);
        const usage = await storage.limitUsage({ now: T0 + 1300, key: 'call-api:r', offset: 0, limit: 10 });
        assert.deepEqual(usage.limits, [{ scope: 'key', kind: 'rate', key: 'call-api:r', limit: 5, perMs: 1000, used: 5, waiting: 2 }]);
      }));

    it('a waiting job is untouched, and nextRateSlot is null when nothing waits on a full window', () =>
      withStore(target, async ({ storage }) => {
        const a = rated('a', 1, 60_000);
        const b = rated('a', 1, 60_000);
        const elsewhere = rated('a', 1, 60_000, { queue: 'other' });
        await storage.createJobs([a, b], { now: T0 });
        assert.equal(await storage.nextRateSlot(['default'], T0), null, 'the window is not full');
        assert.equal((await storage.fetch({ queues: ['default'], max: 5, serverId: 's', leaseMs: 60_000, now: T0 })).length, 1);
        assert.equal(await storage.nextRateSlot(['default'], T0 + 10), T0 + 60_000);
        assert.equal(await storage.nextRateSlot(['mail'], T0 + 10), null, 'no job of these queues waits');
        await storage.createJobs([elsewhere], { now: T0 });
        assert.equal(await storage.nextRateSlot(['other'], T0 + 10), T0 + 60_000, 'the key is shared across queues');
        for (let i = 1; i < 5; i++) await storage.fetch({ queues: ['default'], max: 5, serverId: 's', leaseMs: 60_000, now: T0 + i });
        const waiting = await storage.getJob(b.id);
        assert.equal(waiting?.state, 'enqueued');
        assert.equal(waiting?.attempt, 1);
        assert.equal(waiting?.history.length, 1);
        await storage.transition([{ id: b.id, expectStates: ['enqueued'], to: { name: 'deleted', at: T0 + 5 } }], T0 + 5);
        await storage.transition([{ id: elsewhere.id, expectStates: ['enqueued'], to: { name: 'deleted', at: T0 + 5 } }], T0 + 5);
        assert.equal(await storage.nextRateSlot(['default', 'other'], T0 + 10), null, 'no job waits any more');
      }));

    it('never more than max in any window, with time driven over 10 s and several connections claiming at once', () =>
      withStore(target, async ({ storage, connect }) => {
        const perMs = 1000;
        const max = 5;
        const jobs = Array.from({ length: 60 }, () => rated('burst', max, perMs));
        await storage.createJobs(jobs, { now: T0 });
        const conns: Storage[] = [storage, await connect(), await connect()];
        const starts: number[] = [];
        // Every 70 ms (not a divisor of the window) three connections claim at the same instant.
        for (let now = T0; now <= T0 + 10_000; now += 70) {
          const got = await Promise.all(
            conns.map((c, i) => c.fetch({ queues: ['default'], max: 4, serverId: `s${i}`, leaseMs: 60_000, now })),
          );
          for (const batch of got) for (const _ of batch) starts.push(now);
        }
        assert.equal(busiestWindow(starts, perMs), max);
        // Windows reopen at 0, 1050, 2100, ... 9450 ms (the first 70 ms step at or past each
        // reopening): ten windows of five, so 50 of the 60 jobs started, no more and no fewer.
        assert.equal(starts.length, 50);
      }));
  });
}
