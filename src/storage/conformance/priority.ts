import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { T0, claimAll, newJob, withStore, type ConformanceTarget } from './harness.js';

/** Job priority: higher first within a queue, FIFO among equals, queues still in the server's order. */
export function priorityCases(target: ConformanceTarget): void {
  describe(`${target.name}: priority`, () => {
    it('claims higher priorities first and FIFO among equals, in one fetch', () =>
      withStore(target, async ({ storage }) => {
        const priorities = [0, 5, -3, 5, 0, 100, -100, 5];
        const jobs = priorities.map((priority, i) => newJob({ priority, args: JSON.stringify({ i }) }));
        await storage.createJobs(jobs, { now: T0 });
        const got = await storage.fetch({ queues: ['default'], max: 20, serverId: 's', leaseMs: 1000, now: T0 });
        const order = [5, 1, 3, 7, 0, 4, 2, 6];
        assert.deepEqual(
          got.map((j) => j.id),
          order.map((i) => jobs[i]!.id),
        );
        assert.deepEqual(
          got.map((j) => j.priority),
          order.map((i) => priorities[i]),
        );
      }));

    it('keeps the order across fetches, and a later job of higher priority goes ahead of older ones', () =>
      withStore(target, async ({ storage }) => {
        const old = Array.from({ length: 4 }, () => newJob({ priority: 1 }));
        await storage.createJobs(old, { now: T0 });
        const first = await storage.fetch({ queues: ['default'], max: 2, serverId: 's', leaseMs: 1000, now: T0 });
        assert.deepEqual(
          first.map((j) => j.id),
          [old[0]!.id, old[1]!.id],
        );
        const urgent = newJob({ priority: 2 });
        const low = newJob({ priority: 0 });
        const equal = newJob({ priority: 1 });
        await storage.createJobs([low, urgent, equal], { now: T0 + 1 });
        const rest = await claimAll(storage, ['default'], 1, T0 + 1);
        assert.deepEqual(
          rest.map((j) => j.id),
          [urgent.id, old[2]!.id, old[3]!.id, equal.id, low.id],
        );
      }));

    it('never reorders queues: an earlier queue goes first whatever the priorities', () =>
      withStore(target, async ({ storage }) => {
        const a = newJob({ queue: 'a', priority: -100 });
        const b = newJob({ queue: 'b', priority: 100 });
        await storage.createJobs([b, a], { now: T0 });
        const got = await storage.fetch({ queues: ['a', 'b'], max: 2, serverId: 's', leaseMs: 1000, now: T0 });
        assert.deepEqual(
          got.map((j) => j.id),
          [a.id, b.id],
        );
      }));

    it('stores the priority, 0 by default, and keeps it through a retry', () =>
      withStore(target, async ({ storage }) => {
        const plain = newJob();
        const high = newJob({ priority: 7 });
        await storage.createJobs([plain, high], { now: T0 });
        const p = await storage.getJob(plain.id);
        assert.equal(p?.priority, 0);
        assert.equal(p?.concurrency, null);
        assert.equal(p?.rateLimit, null);
        assert.equal((await storage.getJob(high.id))?.priority, 7);
        const [claimed] = await storage.fetch({ queues: ['default'], max: 1, serverId: 's', leaseMs: 1000, now: T0 });
        assert.equal(claimed?.id, high.id);
        await storage.transition(
          [
            {
              id: high.id,
              expectStates: ['processing'],
              expectServerId: 's',
              passedThrough: [{ name: 'failed', at: T0 + 1 }],
              to: { name: 'scheduled', at: T0 + 1 },
              runAt: T0 + 10,
              attempt: 2,
            },
          ],
          T0 + 1,
        );
        const later = newJob({ priority: 3 });
        await storage.createJobs([later], { now: T0 + 2 });
        assert.equal(await storage.enqueueDue(T0 + 10, 10), 1);
        const got = await storage.fetch({ queues: ['default'], max: 3, serverId: 's', leaseMs: 1000, now: T0 + 10 });
        assert.deepEqual(
          got.map((j) => [j.id, j.priority]),
          [
            [high.id, 7],
            [later.id, 3],
            [plain.id, 0],
          ],
        );
      }));
  });
}
