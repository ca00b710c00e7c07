import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { JobRecord, NewJob, Storage } from '../contract/index.js';
import { T0, complete, newJob, withStore, type ConformanceTarget } from './harness.js';

const limited = (key: string, limit: number, extra: Parameters<typeof newJob>[0] = {}) =>
  newJob({ name: 'export', concurrency: { key: `export:${key}`, limit }, ...extra });

/** Per-key concurrency limits, checked inside the claim. */
export function concurrencyLimitCases(target: ConformanceTarget): void {
  describe(`${target.name}: concurrency limits`, () => {
    it('claims at most the limit per key, and jobs of free keys and plain jobs are not blocked behind a saturated key', () =>
      withStore(target, async ({ storage }) => {
        const a = Array.from({ length: 10 }, () => limited('a', 2));
        const b = Array.from({ length: 3 }, () => limited('b', 2));
        const plain = [newJob(), newJob()];
        await storage.createJobs([...a, ...b, ...plain], { now: T0 });
        const got = await storage.fetch({ queues: ['default'], max: 10, serverId: 's', leaseMs: 60_000, now: T0 });
        assert.deepEqual(
          got.map((j) => j.id),
          [a[0]!.id, a[1]!.id, b[0]!.id, b[1]!.id, plain[0]!.id, plain[1]!.id],
        );
        assert.deepEqual(got[0]!.concurrency, { key: 'export:a', limit: 2 });
        assert.deepEqual(await storage.fetch({ queues: ['default'], max: 10, serverId: 's', leaseMs: 60_000, now: T0 }), []);

        // Any way out of processing frees the slot: success, deletion, a lost lease.
        await complete(storage, [a[0]!.id], T0 + 1);
        assert.deepEqual(
          (await storage.fetch({ queues: ['default'], max: 10, serverId: 's', leaseMs: 60_000, now: T0 + 1 })).map((j) => j.id),
          [a[2]!.id],
        );
        await storage.transition([{ id: a[1]!.id, expectStates: ['processing'], to: { name: 'deleted', at: T0 + 2 } }], T0 + 2);
        assert.deepEqual(
          (await storage.fetch({ queues: ['default'], max: 10, serverId: 's', leaseMs: 1, now: T0 + 2 })).map((j) => j.id),
          [a[3]!.id],
        );
        assert.equal(await storage.releaseExpiredLeases(T0 + 100, 100), 1);
        // a[3]'s lease ended: it is back first in line (its place kept) and takes its own slot again.
        assert.deepEqual(
          (await storage.fetch({ queues: ['default'], max: 10, serverId: 's', leaseMs: 60_000, now: T0 + 100 })).map((j) => j.id),
          [a[3]!.id],
        );
      }));

    it('a job waiting for its limit is untouched: still enqueued, attempt and history unchanged', () =>
      withStore(target, async ({ storage }) => {
        const jobs = [limited('x', 1), limited('x', 1, { parameters: { retryCount: 2 } })];
        await storage.createJobs(jobs, { now: T0 });
        await storage.transition([{ id: jobs[1]!.id, expectStates: ['enqueued'], to: { name: 'enqueued', at: T0 }, attempt: 3 }], T0);
        for (let i = 0; i < 5; i++) await storage.fetch({ queues: ['default'], max: 5, serverId: 's', leaseMs: 60_000, now: T0 + i });
        const waiting = await storage.getJob(jobs[1]!.id);
        assert.equal(waiting?.state, 'enqueued');
        assert.equal(waiting?.attempt, 3);
        assert.equal(waiting?.serverId, null);
        assert.deepEqual(
          waiting?.history.map((h) => h.name),
          ['enqueued', 'enqueued'],
        );
        const usage = await storage.limitUsage({ now: T0, key: 'export:x', offset: 0, limit: 10 });
        assert.deepEqual(usage.limits, [{ scope: 'key', kind: 'concurrency', key: 'export:x', limit: 1, perMs: null, used: 1, waiting: 1 }]);
      }));

    it('limits and priority together: a high-priority limited job goes first, a saturated one lets lower ones pass', () =>
      withStore(target, async ({ storage }) => {
        const low = newJob({ priority: -1 });
        const urgent = limited('p', 1, { priority: 10 });
        const urgentToo = limited('p', 1, { priority: 10 });
        const normal = newJob();
        await storage.createJobs([low, urgent, urgentToo, normal], { now: T0 });
        const got = await storage.fetch({ queues: ['default'], max: 10, serverId: 's', leaseMs: 60_000, now: T0 });
        assert.deepEqual(
          got.map((j) => j.id),
          [urgent.id, normal.id, low.id],
        );
      }));

    it('a backlog longer than one read: claim order across priorities, saturated keys passed over, each limit kept', () =>
      withStore(target, async ({ storage }) => {
        // 400 jobs, interleaved: a key of limit 2 with a long backlog at the top priority, 50
        // keys of limit 2 whose jobs come back every 150 (so a key has room for its second job,
        // at the top priority for the first 200 and lower after), and plain jobs between.
        const jobs: NewJob[] = [];
        for (let i = 0; i < 400; i++) {
          if (i % 3 === 0) jobs.push(limited('hot', 2, { priority: 5 }));
          else if (i % 3 === 1) jobs.push(limited(`k${i % 50}`, 2, { priority: i < 200 ? 5 : i % 2 === 0 ? 0 : -5 }));
          else jobs.push(newJob({ priority: i % 2 === 0 ? 1 : -5 }));
        }
        await storage.createJobs(jobs, { now: T0 });
        // What the claim must take: claim order (priority, then creation), each job if its key has room.
        const used = new Map<string, number>();
        const expected = jobs
          .map((job, seq) => ({ job, seq }))
          .sort((x, y) => (y.job.priority ?? 0) - (x.job.priority ?? 0) || x.seq - y.seq)
          .filter(({ job }) => {
            if (!job.concurrency) return true;
            const n = used.get(job.concurrency.key) ?? 0;
            if (n >= job.concurrency.limit) return false;
            used.set(job.concurrency.key, n + 1);
            return true;
          })
          .map(({ job }) => job.id);
        const got = await storage.fetch({ queues: ['default'], max: 1000, serverId: 's', leaseMs: 60_000, now: T0 });
        assert.deepEqual(
          got.map((j) => j.id),
          expected,
        );
        assert.deepEqual(await storage.fetch({ queues: ['default'], max: 1000, serverId: 's', leaseMs: 60_000, now: T0 }), []);
      }));

    it('8 fetchers on several connections never exceed a per-key limit, and every job runs', () =>
      withStore(target, async ({ storage, connect }) => {
        const keys = 6;
        const limit = 2;
        const jobs: ReturnType<typeof newJob>[] = [];
        for (let i = 0; i < 240; i++) jobs.push(i % 5 === 4 ? newJob() : limited(`k${i % keys}`, limit));
        await storage.createJobs(jobs, { now: T0 });
        const conns: Storage[] = [storage, await connect(), await connect(), await connect()];
        // What the fetchers hold, counted up after a claim returns and down before its completion
        // is sent: never more than the storage counts, so above the limit means the storage was.
        const held = new Map<string, number>();
        let peak = 0;
        let done = 0;
        await Promise.all(
          Array.from({ length: 8 }, async (_, f) => {
            const conn = conns[f % conns.length]!;
            const serverId = `f${f}`;
            while (done < jobs.length) {
              const got: JobRecord[] = await conn.fetch({ queues: ['default'], max: 4, serverId, leaseMs: 60_000, now: T0 });
              for (const j of got) {
                if (!j.concurrency) continue;
                const n = (held.get(j.concurrency.key) ?? 0) + 1;
                held.set(j.concurrency.key, n);
                peak = Math.max(peak, n);
                assert.ok(n <= limit, `${n} jobs of ${j.concurrency.key} processing at once`);
              }
              // Let the other fetchers claim while these run (and never spin on microtasks alone).
              await new Promise((resolve) => setImmediate(resolve));
              for (const j of got) if (j.concurrency) held.set(j.concurrency.key, held.get(j.concurrency.key)! - 1);
              await complete(conn, got.map((j) => j.id), T0, serverId);
              done += got.length;
            }
          }),
        );
        assert.equal(peak, limit, 'the limit was reached');
        const stats = await storage.statistics();
        assert.equal(stats.states.succeeded, jobs.length);
        assert.equal(stats.states.enqueued, 0);
      }));
  });
}
