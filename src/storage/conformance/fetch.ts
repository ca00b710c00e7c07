import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { T0, newJob, withStore, type ConformanceTarget } from './harness.js';

/** Claiming jobs: priority, FIFO, batches, and no double claim under concurrency. */
export function fetchCases(target: ConformanceTarget): void {
  describe(`${target.name}: fetch`, () => {
    it('claims in queue priority order, FIFO within a queue, up to max', () =>
      withStore(target, async ({ storage }) => {
        const low = [newJob({ queue: 'low' }), newJob({ queue: 'low' })];
        const high = [newJob({ queue: 'critical' }), newJob({ queue: 'critical' })];
        await storage.createJobs([low[0]!, high[0]!, low[1]!, high[1]!], { now: T0 });
        const first = await storage.fetch({ queues: ['critical', 'low'], max: 3, serverId: 's1', leaseMs: 30_000, now: T0 });
        assert.deepEqual(
          first.map((j) => j.id),
          [high[0]!.id, high[1]!.id, low[0]!.id],
        );
        for (const j of first) {
          assert.equal(j.state, 'processing');
          assert.equal(j.serverId, 's1');
          assert.equal(j.leaseUntil, T0 + 30_000);
        }
        const second = await storage.fetch({ queues: ['critical', 'low'], max: 3, serverId: 's1', leaseMs: 30_000, now: T0 });
        assert.deepEqual(
          second.map((j) => j.id),
          [low[1]!.id],
        );
        assert.deepEqual(await storage.fetch({ queues: ['critical', 'low'], max: 3, serverId: 's1', leaseMs: 1, now: T0 }), []);
      }));

    it('takes only the queues asked for, and records processing in history', () =>
      withStore(target, async ({ storage }) => {
        const a = newJob({ queue: 'a' });
        const b = newJob({ queue: 'b' });
        await storage.createJobs([a, b], { now: T0 });
        const got = await storage.fetch({ queues: ['b'], max: 10, serverId: 'srv', leaseMs: 1000, now: T0 + 5 });
        assert.deepEqual(
          got.map((j) => j.id),
          [b.id],
        );
        const details = await storage.getJob(b.id);
        assert.deepEqual(
          details?.history.map((h) => h.name),
          ['enqueued', 'processing'],
        );
        assert.equal(details?.history[1]!.at, T0 + 5);
        assert.equal(details?.history[1]!.data?.['serverId'], 'srv');
        assert.equal((await storage.getJob(a.id))?.state, 'enqueued');
      }));

    it('8 concurrent fetchers on several connections never claim a job twice', () =>
      withStore(target, async ({ storage, connect }) => {
        const total = 400;
        const jobs = Array.from({ length: total }, () => newJob({ queue: 'q' }));
        await storage.createJobs(jobs, { now: T0 });
        const conns = [storage, await connect(), await connect(), await connect()];
        const claims = new Map<string, string>();
        await Promise.all(
          Array.from({ length: 8 }, async (_, f) => {
            const conn = conns[f % conns.length]!;
            for (;;) {
              const got = await conn.fetch({ queues: ['q'], max: 7, serverId: `f${f}`, leaseMs: 60_000, now: T0 });
              if (got.length === 0) return;
              for (const j of got) {
                assert.equal(claims.has(j.id), false, `job ${j.id} claimed by ${claims.get(j.id)} and f${f}`);
                claims.set(j.id, `f${f}`);
              }
            }
          }),
        );
        assert.equal(claims.size, total);
        const stats = await storage.statistics();
        assert.equal(stats.states.processing, total);
        assert.equal(stats.states.enqueued, 0);
      }));

    it('returns each claimed job as stored: what the claim wrote and every column it kept', () =>
      withStore(target, async ({ storage }) => {
        const plain = newJob({ priority: 3, parameters: { culture: 'fr' }, uniqueKey: 'u-1', args: '{"to":"a@b.c"}' });
        const limited = newJob({ name: 'limited-job', concurrency: { key: 'tenant-1', limit: 2 }, rateLimit: { key: 'api', max: 10, perMs: 1000 } });
        const due = newJob({ state: { name: 'scheduled', at: T0 }, runAt: T0 + 10 });
        const other = newJob();
        await storage.createJobs([plain, limited, due, other], { now: T0 });
        assert.equal(await storage.enqueueDue(T0 + 10, 10), 1);
        const [first] = await storage.fetch({ queues: ['default'], max: 1, serverId: 's0', leaseMs: 50, now: T0 + 10 });
        assert.ok(first);
        const failed = { name: 'failed' as const, reason: 'boom', at: T0 + 11 };
        const back = { name: 'enqueued' as const, reason: 'retry', at: T0 + 11 };
        const requeue = { id: first.id, expectStates: ['processing' as const], passedThrough: [failed], to: back, attempt: 2, parameters: { retried: true } };
        assert.deepEqual(await storage.transition([requeue], T0 + 11), [true]);
        const claimed = await storage.fetch({ queues: ['default'], max: 10, serverId: 'srv-7', leaseMs: 30_000, now: T0 + 20 });
        assert.equal(claimed.length, 4);
        for (const job of claimed) {
          assert.equal(job.state, 'processing');
          assert.equal(job.serverId, 'srv-7');
          assert.equal(job.leaseUntil, T0 + 30_020);
          assert.equal(job.stateAt, T0 + 20);
          const { history: _history, continuations: _continuations, ...stored } = (await storage.getJob(job.id))!;
          assert.deepEqual(job, stored, `job ${job.id} as fetched and as stored`);
        }
        const byId = new Map(claimed.map((j) => [j.id, j]));
        // The first claim took the highest priority, which failed once and came back.
        assert.equal(first.id, plain.id);
        assert.equal(byId.get(plain.id)!.priority, 3);
        assert.deepEqual(byId.get(plain.id)!.parameters, { culture: 'fr', retried: true });
        assert.equal(byId.get(plain.id)!.uniqueKey, 'u-1');
        assert.equal(byId.get(plain.id)!.attempt, 2);
        assert.deepEqual(byId.get(limited.id)!.concurrency, { key: 'tenant-1', limit: 2 });
        assert.deepEqual(byId.get(limited.id)!.rateLimit, { key: 'api', max: 10, perMs: 1000 });
      }));

    it('does not claim scheduled, awaiting or processing jobs', () =>
      withStore(target, async ({ storage }) => {
        await storage.createJobs(
          [
            newJob({ state: { name: 'scheduled', at: T0 }, runAt: T0 - 1 }),
            newJob({ state: { name: 'awaiting', at: T0 }, parentId: 'x' }),
          ],
          { now: T0 },
        );
        assert.deepEqual(await storage.fetch({ queues: ['default'], max: 10, serverId: 's', leaseMs: 10, now: T0 }), []);
      }));
  });
}
