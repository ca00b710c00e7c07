import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { T0, complete, newJob, withStore, type ConformanceTarget } from './harness.js';

/** The monitoring view of limits: what each one allows, and how much of it is used and waited for. */
export function limitUsageCases(target: ConformanceTarget): void {
  describe(`${target.name}: limit usage`, () => {
    it('lists queue limits, then job groups by key, with use and waiting counts, paged', () =>
      withStore(target, async ({ storage }) => {
        await storage.setQueueLimits('q', { concurrency: 3, rate: { max: 10, perMs: 60_000 } });
        await storage.setQueuePaused('paused-only', true);
        const tenant = (t: string) => newJob({ queue: 'q', concurrency: { key: `export:${t}`, limit: 2 } });
        const jobs = [
          tenant('b'),
          tenant('b'),
          tenant('b'),
          tenant('a'),
          newJob({ queue: 'q', rateLimit: { key: 'export:b', max: 100, perMs: 1000 } }),
          newJob({ queue: 'q' }),
        ];
        await storage.createJobs(jobs, { now: T0 });
        const claimed = await storage.fetch({ queues: ['q'], max: 10, serverId: 's', leaseMs: 60_000, now: T0 });
        // The queue allows three: two of tenant b, then tenant a (b's third waits on b's limit).
        assert.deepEqual(
          claimed.map((j) => j.id),
          [jobs[0]!.id, jobs[1]!.id, jobs[3]!.id],
        );
        const all = await storage.limitUsage({ now: T0 + 10, offset: 0, limit: 100 });
        assert.deepEqual(all, {
          total: 5,
          limits: [
            { scope: 'queue', kind: 'concurrency', key: 'q', limit: 3, perMs: null, used: 3, waiting: 3 },
            { scope: 'queue', kind: 'rate', key: 'q', limit: 10, perMs: 60_000, used: 3, waiting: 3 },
            { scope: 'key', kind: 'concurrency', key: 'export:a', limit: 2, perMs: null, used: 1, waiting: 0 },
            { scope: 'key', kind: 'concurrency', key: 'export:b', limit: 2, perMs: null, used: 2, waiting: 1 },
            { scope: 'key', kind: 'rate', key: 'export:b', limit: 100, perMs: 1000, used: 0, waiting: 1 },
          ],
        });
        const page = await storage.limitUsage({ now: T0 + 10, offset: 2, limit: 2 });
        assert.equal(page.total, 5);
        assert.deepEqual(
          page.limits.map((l) => [l.scope, l.kind, l.key]),
          [
            ['key', 'concurrency', 'export:a'],
            ['key', 'concurrency', 'export:b'],
          ],
        );
        const b = await storage.limitUsage({ now: T0 + 10, key: 'export:b', offset: 0, limit: 100 });
        assert.deepEqual(
          b.limits.map((l) => [l.kind, l.used, l.waiting]),
          [
            ['concurrency', 2, 1],
            ['rate', 0, 1],
          ],
        );
        // A group is listed while it has jobs enqueued or processing.
        await complete(storage, [jobs[3]!.id], T0 + 20);
        const after = await storage.limitUsage({ now: T0 + 20, key: 'export:a', offset: 0, limit: 100 });
        assert.deepEqual(after, { total: 0, limits: [] });
      }));
  });
}
