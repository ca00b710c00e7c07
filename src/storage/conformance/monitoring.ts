import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { HOUR_MS } from '../buckets.js';
import { T0, newJob, withStore, type ConformanceTarget } from './harness.js';

/** The monitoring part of the contract, which the dashboard reads. */
export function monitoringCases(target: ConformanceTarget): void {
  describe(`${target.name}: monitoring`, () => {
    it('counts per state and per queue', () =>
      withStore(target, async ({ storage }) => {
        await storage.createJobs(
          [
            newJob({ queue: 'a' }),
            newJob({ queue: 'a' }),
            newJob({ queue: 'b' }),
            newJob({ state: { name: 'scheduled', at: T0 }, runAt: T0 + 5 }),
          ],
          { now: T0 },
        );
        await storage.fetch({ queues: ['a'], max: 1, serverId: 's', leaseMs: 5, now: T0 });
        const stats = await storage.statistics();
        assert.deepEqual(stats.states, {
          enqueued: 2,
          scheduled: 1,
          awaiting: 0,
          processing: 1,
          succeeded: 0,
          failed: 0,
          deleted: 0,
        });
        assert.deepEqual(await storage.queues(), [
          { queue: 'a', enqueued: 1, processing: 1 },
          { queue: 'b', enqueued: 1, processing: 0 },
        ]);
      }));

    it('tells when the head of each queue was enqueued, one entry per queue with enqueued jobs', () =>
      withStore(target, async ({ storage }) => {
        assert.deepEqual(await storage.queueHeads(), []);
        const a1 = newJob({ queue: 'a', state: { name: 'enqueued', at: T0 + 10 } });
        const a2 = newJob({ queue: 'a', state: { name: 'enqueued', at: T0 + 20 } });
        const b1 = newJob({ queue: 'b', state: { name: 'enqueued', at: T0 + 30 } });
        const later = newJob({ queue: 'c', state: { name: 'scheduled', at: T0 }, runAt: T0 + 60_000 });
        await storage.createJobs([a1, a2, b1, later], { now: T0 + 30 });
        assert.deepEqual(await storage.queueHeads(), [
          { queue: 'a', enqueuedAt: T0 + 10 },
          { queue: 'b', enqueuedAt: T0 + 30 },
        ]);
        const [taken] = await storage.fetch({ queues: ['a'], max: 1, serverId: 's', leaseMs: 30_000, now: T0 + 40 });
        assert.equal(taken?.id, a1.id);
        await storage.fetch({ queues: ['b'], max: 5, serverId: 's', leaseMs: 30_000, now: T0 + 40 });
        assert.deepEqual(await storage.queueHeads(), [{ queue: 'a', enqueuedAt: T0 + 20 }], 'the next in line; b is empty');
        // Put back in its queue, a job keeps its place from creation and tells when it came back.
        const [requeued] = await storage.transition(
          [{ id: a1.id, expectStates: ['processing'], to: { name: 'enqueued', reason: 'requeued', at: T0 + 50 } }],
          T0 + 50,
        );
        assert.equal(requeued, true);
        assert.deepEqual(await storage.queueHeads(), [{ queue: 'a', enqueuedAt: T0 + 50 }]);
      }));

    it('lists retries: scheduled jobs whose attempt was raised, not delayed or requeued ones', () =>
      withStore(target, async ({ storage }) => {
        const delayed = newJob({ state: { name: 'scheduled', at: T0 }, runAt: T0 + 60_000 });
        const failing = [newJob({ name: 'flaky' }), newJob({ name: 'flaky' }), newJob({ name: 'other' })];
        await storage.createJobs([delayed, ...failing], { now: T0 });
        const claimed = await storage.fetch({ queues: ['default'], max: 10, serverId: 's', leaseMs: 30_000, now: T0 });
        assert.equal(claimed.length, 3);
        const retried = await storage.transition(
          failing.map((j) => ({
            id: j.id,
            expectStates: ['processing'],
            expectServerId: 's',
            passedThrough: [{ name: 'failed', reason: 'boom', at: T0 + 1 }],
            to: { name: 'scheduled', reason: 'Retry 1 of 10', at: T0 + 1 },
            runAt: T0 + 30_000,
            attempt: 2,
            parameters: { retryCount: 1 },
          })),
          T0 + 1,
        );
        assert.deepEqual(retried, [true, true, true]);
        const all = await storage.listJobs({ state: 'scheduled', retriesOnly: true, offset: 0, limit: 10 });
        assert.equal(all.total, 3);
        assert.deepEqual(new Set(all.jobs.map((j) => j.id)), new Set(failing.map((j) => j.id)));
        const page = await storage.listJobs({ state: 'scheduled', retriesOnly: true, offset: 1, limit: 1 });
        assert.equal(page.total, 3);
        assert.equal(page.jobs.length, 1);
        const flaky = await storage.listJobs({ state: 'scheduled', retriesOnly: true, search: 'flak', offset: 0, limit: 10 });
        assert.equal(flaky.total, 2);
        assert.ok(flaky.jobs.every((j) => j.name === 'flaky'));
        const scheduled = await storage.listJobs({ state: 'scheduled', offset: 0, limit: 10 });
        assert.equal(scheduled.total, 4);
      }));

    it('pages jobs of a state, newest first, filtered by queue, name and search', () =>
      withStore(target, async ({ storage }) => {
        const jobs = Array.from({ length: 25 }, (_, i) =>
          newJob({ name: i % 2 ? 'send-email' : 'build-report', queue: i < 5 ? 'mail' : 'default' }),
        );
        await storage.createJobs(jobs, { now: T0 });
        const page1 = await storage.listJobs({ state: 'enqueued', offset: 0, limit: 10 });
        assert.equal(page1.total, 25);
        assert.deepEqual(
          page1.jobs.map((j) => j.id),
          jobs
            .slice(15)
            .reverse()
            .map((j) => j.id),
        );
        const page3 = await storage.listJobs({ state: 'enqueued', offset: 20, limit: 10 });
        assert.equal(page3.jobs.length, 5);
        const emails = await storage.listJobs({ state: 'enqueued', name: 'send-email', offset: 0, limit: 100 });
        assert.equal(emails.total, 12);
        const mail = await storage.listJobs({ state: 'enqueued', queue: 'mail', offset: 0, limit: 100 });
        assert.equal(mail.total, 5);
        const byName = await storage.listJobs({ state: 'enqueued', search: 'REPORT', offset: 0, limit: 100 });
        assert.equal(byName.total, 13);
        const target0 = jobs[7]!;
        const byId = await storage.listJobs({ state: 'enqueued', search: target0.id.slice(0, 13), offset: 0, limit: 100 });
        assert.deepEqual(
          byId.jobs.map((j) => j.id),
          [target0.id],
        );
        assert.equal((await storage.listJobs({ state: 'failed', offset: 0, limit: 10 })).total, 0);
      }));

    it('keeps lifetime totals and an hourly and daily timeline of successes and failures', () =>
      withStore(target, async ({ storage }) => {
        const jobs = Array.from({ length: 4 }, () => newJob());
        await storage.createJobs(jobs, { now: T0 });
        await storage.fetch({ queues: ['default'], max: 4, serverId: 's', leaseMs: 5, now: T0 });
        const at = [T0 + 10, T0 + HOUR_MS + 10, T0 + HOUR_MS + 20];
        await storage.transition(
          at.map((t, i) => ({ id: jobs[i]!.id, expectStates: ['processing' as const], to: { name: 'succeeded' as const, at: t } })),
          T0,
        );
        await storage.transition(
          [{ id: jobs[3]!.id, expectStates: ['processing'], to: { name: 'failed', at: T0 + 2 * HOUR_MS } }],
          T0,
        );
        const stats = await storage.statistics();
        assert.equal(stats.succeededTotal, 3);
        assert.equal(stats.failedTotal, 1);
        const hours = await storage.timeline('hour', T0, T0 + 3 * HOUR_MS);
        assert.deepEqual(hours, [
          { at: T0, succeeded: 1, failed: 0 },
          { at: T0 + HOUR_MS, succeeded: 2, failed: 0 },
          { at: T0 + 2 * HOUR_MS, succeeded: 0, failed: 1 },
          { at: T0 + 3 * HOUR_MS, succeeded: 0, failed: 0 },
        ]);
        const days = await storage.timeline('day', T0 - 86_400_000, T0);
        assert.deepEqual(days, [
          { at: T0 - 86_400_000, succeeded: 0, failed: 0 },
          { at: T0, succeeded: 3, failed: 1 },
        ]);
      }));
  });
}
