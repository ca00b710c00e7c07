import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { StorageEvent } from '../contract/index.js';
import { T0, claimAll, complete, newJob, withStore, type ConformanceTarget } from './harness.js';

/** Paused queues and per-queue limits: settings stored per queue, enforced by every claim. */
export function queueControlCases(target: ConformanceTarget): void {
  describe(`${target.name}: queue control`, () => {
    it('a paused queue is not fetched from any connection; it takes new jobs, and resuming wakes and serves it', () =>
      withStore(target, async ({ storage, connect }) => {
        const other = await connect();
        const running = newJob({ queue: 'a' });
        await storage.createJobs([running], { now: T0 });
        await storage.fetch({ queues: ['a'], max: 1, serverId: 's', leaseMs: 60_000, now: T0 });
        const waiting = [newJob({ queue: 'a' }), newJob({ queue: 'b' })];
        await storage.createJobs(waiting, { now: T0 });

        assert.equal(await other.setQueuePaused('a', true), true);
        assert.equal(await storage.setQueuePaused('a', true), false, 'already paused');
        assert.deepEqual(await storage.queueSettings(), [{ queue: 'a', paused: true, concurrency: null, rate: null }]);
        const got = await storage.fetch({ queues: ['a', 'b'], max: 10, serverId: 's', leaseMs: 1000, now: T0 });
        assert.deepEqual(
          got.map((j) => j.id),
          [waiting[1]!.id],
        );
        // New jobs are accepted; the running one finishes.
        const late = newJob({ queue: 'a' });
        await other.createJobs([late], { now: T0 + 1 });
        await complete(storage, [running.id], T0 + 2);
        assert.deepEqual(await other.fetch({ queues: ['a'], max: 10, serverId: 't', leaseMs: 1000, now: T0 + 3 }), []);
        assert.equal((await storage.getJob(waiting[0]!.id))?.state, 'enqueued');
        assert.equal((await storage.getJob(waiting[0]!.id))?.history.length, 1, 'nothing recorded on a job of a paused queue');

        const events: StorageEvent[] = [];
        let heard: () => void = () => {};
        const resumed = new Promise<void>((resolve) => (heard = resolve));
        const unsubscribe = await storage.subscribe((e) => {
          events.push(e);
          if (e.type === 'enqueued' && (e.queue === 'a' || e.queue === '*')) heard();
        });
        try {
          assert.equal(await other.setQueuePaused('a', false), true);
          await resumed;
        } finally {
          await unsubscribe();
        }
        assert.equal(await storage.setQueuePaused('a', false), false, 'already running');
        assert.deepEqual(await storage.queueSettings(), [], 'an unpaused queue without limits has no settings to show');
        const after = await claimAll(storage, ['a'], 10, T0 + 4);
        assert.deepEqual(
          after.map((j) => j.id),
          [waiting[0]!.id, late.id],
        );
      }));

    it('pausing a queue with no jobs works, and does not pause queues with similar names', () =>
      withStore(target, async ({ storage }) => {
        assert.equal(await storage.setQueuePaused('mail', true), true);
        const jobs = [newJob({ queue: 'mail' }), newJob({ queue: 'mail-eu' }), newJob({ queue: 'mai' })];
        await storage.createJobs(jobs, { now: T0 });
        const got = await storage.fetch({ queues: ['mail', 'mail-eu', 'mai'], max: 10, serverId: 's', leaseMs: 1000, now: T0 });
        assert.deepEqual(
          got.map((j) => j.id),
          [jobs[1]!.id, jobs[2]!.id],
        );
      }));

    it('a queue concurrency limit caps its processing jobs across connections, and lifting it frees the rest', () =>
      withStore(target, async ({ storage, connect }) => {
        const other = await connect();
        await storage.setQueueLimits('q', { concurrency: 2, rate: null });
        assert.deepEqual(await other.queueSettings(), [{ queue: 'q', paused: false, concurrency: 2, rate: null }]);
        const jobs = Array.from({ length: 5 }, () => newJob({ queue: 'q' }));
        const free = newJob({ queue: 'r' });
        await storage.createJobs([...jobs, free], { now: T0 });
        const first = await other.fetch({ queues: ['q', 'r'], max: 10, serverId: 's', leaseMs: 60_000, now: T0 });
        assert.deepEqual(
          first.map((j) => j.id),
          [jobs[0]!.id, jobs[1]!.id, free.id],
        );
        assert.deepEqual(await storage.fetch({ queues: ['q'], max: 10, serverId: 's', leaseMs: 60_000, now: T0 }), []);
        await complete(storage, [jobs[0]!.id], T0 + 1);
        const next = await storage.fetch({ queues: ['q'], max: 10, serverId: 's', leaseMs: 60_000, now: T0 + 1 });
        assert.deepEqual(
          next.map((j) => j.id),
          [jobs[2]!.id],
        );
        await storage.setQueueLimits('q', { concurrency: null, rate: null });
        assert.deepEqual(await storage.queueSettings(), []);
        assert.equal((await other.fetch({ queues: ['q'], max: 10, serverId: 's', leaseMs: 60_000, now: T0 + 2 })).length, 2);
      }));

    it('a queue rate limit counts starts in a sliding window, requeued ones included', () =>
      withStore(target, async ({ storage }) => {
        await storage.setQueueLimits('q', { concurrency: null, rate: { max: 3, perMs: 1000 } });
        const jobs = Array.from({ length: 8 }, () => newJob({ queue: 'q' }));
        await storage.createJobs(jobs, { now: T0 });
        assert.equal(await storage.nextRateSlot(['q'], T0), null, 'no window is full yet');
        const first = await storage.fetch({ queues: ['q'], max: 10, serverId: 's', leaseMs: 60_000, now: T0 });
        assert.equal(first.length, 3);
        // A claimed job put back in its queue does not give its start back.
        await storage.transition([{ id: first[0]!.id, expectStates: ['processing'], to: { name: 'enqueued', at: T0 + 1 } }], T0 + 1);
        assert.deepEqual(await storage.fetch({ queues: ['q'], max: 10, serverId: 's', leaseMs: 60_000, now: T0 + 999 }), []);
        assert.equal(await storage.nextRateSlot(['q'], T0 + 999), T0 + 1000);
        assert.equal(await storage.nextRateSlot(['other'], T0 + 999), null, 'only the queues asked about');
        const second = await storage.fetch({ queues: ['q'], max: 10, serverId: 's', leaseMs: 60_000, now: T0 + 1000 });
        assert.deepEqual(
          second.map((j) => j.id),
          [first[0]!.id, jobs[3]!.id, jobs[4]!.id],
        );
        assert.deepEqual(await storage.queueSettings(), [{ queue: 'q', paused: false, concurrency: null, rate: { max: 3, perMs: 1000 } }]);
        const usage = await storage.limitUsage({ now: T0 + 1000, offset: 0, limit: 10 });
        assert.deepEqual(usage, {
          total: 1,
          limits: [{ scope: 'queue', kind: 'rate', key: 'q', limit: 3, perMs: 1000, used: 3, waiting: 3 }],
        });
        await storage.setQueuePaused('q', true);
        assert.equal(await storage.nextRateSlot(['q'], T0 + 1001), null, 'a paused queue has nothing to wait for');
      }));
  });
}
