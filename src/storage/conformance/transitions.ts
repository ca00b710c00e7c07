import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { T0, newJob, withStore, type ConformanceTarget } from './harness.js';

/** Compare-and-set state changes, history, counters, scheduling and expiry. */
export function transitionCases(target: ConformanceTarget): void {
  describe(`${target.name}: transitions`, () => {
    it('applies a change only from the expected state', () =>
      withStore(target, async ({ storage }) => {
        const j = newJob();
        await storage.createJobs([j], { now: T0 });
        const r = await storage.transition(
          [
            { id: j.id, expectStates: ['scheduled'], to: { name: 'deleted', at: T0 } },
            { id: j.id, expectStates: ['enqueued'], to: { name: 'deleted', reason: 'by test', at: T0 + 1 } },
            { id: j.id, expectStates: ['enqueued'], to: { name: 'succeeded', at: T0 + 2 } },
            { id: 'missing', expectStates: ['enqueued'], to: { name: 'deleted', at: T0 } },
          ],
          T0,
        );
        assert.deepEqual(r, [false, true, false, false]);
        const d = await storage.getJob(j.id);
        assert.equal(d?.state, 'deleted');
        assert.equal(d?.stateReason, 'by test');
        assert.deepEqual(
          d?.history.map((h) => h.name),
          ['enqueued', 'deleted'],
        );
      }));

    it('a worker change applies only while the worker still holds the job', () =>
      withStore(target, async ({ storage }) => {
        const j = newJob();
        await storage.createJobs([j], { now: T0 });
        await storage.fetch({ queues: ['default'], max: 1, serverId: 'A', leaseMs: 1000, now: T0 });
        const wrong = await storage.transition(
          [{ id: j.id, expectStates: ['processing'], expectServerId: 'B', to: { name: 'succeeded', at: T0 } }],
          T0,
        );
        assert.deepEqual(wrong, [false]);
        const right = await storage.transition(
          [
            {
              id: j.id,
              expectStates: ['processing'],
              expectServerId: 'A',
              to: { name: 'succeeded', reason: 'done', data: { latency: 3 }, at: T0 + 10 },
              expireAt: T0 + 86_400_000,
              result: '{"ok":true}',
            },
          ],
          T0 + 10,
        );
        assert.deepEqual(right, [true]);
        const d = await storage.getJob(j.id);
        assert.equal(d?.state, 'succeeded');
        assert.equal(d?.result, '{"ok":true}');
        assert.equal(d?.expireAt, T0 + 86_400_000);
        assert.equal(d?.serverId, null);
        assert.equal(d?.leaseUntil, null);
        assert.deepEqual(d?.stateData, { latency: 3 });
        const stats = await storage.statistics();
        assert.equal(stats.succeededTotal, 1);
        assert.equal(stats.states.succeeded, 1);
        assert.equal(stats.states.processing, 0);
      }));

    it('records states passed through, raises the attempt, merges parameters, schedules', () =>
      withStore(target, async ({ storage }) => {
        const j = newJob({ parameters: { keep: 'yes' } });
        await storage.createJobs([j], { now: T0 });
        await storage.fetch({ queues: ['default'], max: 1, serverId: 'A', leaseMs: 1000, now: T0 });
        const r = await storage.transition(
          [
            {
              id: j.id,
              expectStates: ['processing'],
              expectServerId: 'A',
              passedThrough: [{ name: 'failed', reason: 'boom', data: { error: 'Error: boom' }, at: T0 + 1 }],
              to: { name: 'scheduled', reason: 'Retry attempt 2 of 10', at: T0 + 1 },
              runAt: T0 + 20_000,
              attempt: 2,
              parameters: { retryCount: 1 },
            },
          ],
          T0 + 1,
        );
        assert.deepEqual(r, [true]);
        const d = await storage.getJob(j.id);
        assert.equal(d?.state, 'scheduled');
        assert.equal(d?.runAt, T0 + 20_000);
        assert.equal(d?.attempt, 2);
        assert.deepEqual(d?.parameters, { keep: 'yes', retryCount: 1 });
        assert.deepEqual(
          d?.history.map((h) => h.name),
          ['enqueued', 'processing', 'failed', 'scheduled'],
        );
        assert.equal(d?.history[2]!.data?.['error'], 'Error: boom');
        assert.equal((await storage.statistics()).failedTotal, 1);
        assert.equal(await storage.nextDueAt(), T0 + 20_000);
      }));

    it('requeues into another queue', () =>
      withStore(target, async ({ storage }) => {
        const j = newJob({ queue: 'a' });
        await storage.createJobs([j], { now: T0 });
        await storage.transition(
          [{ id: j.id, expectStates: ['enqueued'], to: { name: 'enqueued', at: T0 }, queue: 'b' }],
          T0,
        );
        assert.equal((await storage.fetch({ queues: ['a'], max: 5, serverId: 's', leaseMs: 5, now: T0 })).length, 0);
        assert.equal((await storage.fetch({ queues: ['b'], max: 5, serverId: 's', leaseMs: 5, now: T0 })).length, 1);
      }));

    it('only one of many concurrent changes from one state applies', () =>
      withStore(target, async ({ storage, connect }) => {
        const j = newJob();
        await storage.createJobs([j], { now: T0 });
        const conns = [storage, await connect(), await connect()];
        const results = await Promise.all(
          Array.from({ length: 12 }, (_, i) =>
            conns[i % 3]!.transition(
              [{ id: j.id, expectStates: ['enqueued'], to: { name: 'deleted', reason: `r${i}`, at: T0 } }],
              T0,
            ),
          ),
        );
        assert.equal(results.filter((r) => r[0]).length, 1);
        const d = await storage.getJob(j.id);
        assert.equal(d?.history.length, 2);
      }));

    it('moves due scheduled jobs to their queues, earliest first, within the limit', () =>
      withStore(target, async ({ storage }) => {
        const soon = newJob({ queue: 'q1', state: { name: 'scheduled', at: T0 }, runAt: T0 + 10 });
        const sooner = newJob({ queue: 'q2', state: { name: 'scheduled', at: T0 }, runAt: T0 + 5 });
        const later = newJob({ state: { name: 'scheduled', at: T0 }, runAt: T0 + 1000 });
        await storage.createJobs([soon, sooner, later], { now: T0 });
        assert.equal(await storage.nextDueAt(), T0 + 5);
        assert.equal(await storage.enqueueDue(T0 + 4, 10), 0);
        assert.equal(await storage.enqueueDue(T0 + 100, 1), 1);
        assert.equal((await storage.getJob(sooner.id))?.state, 'enqueued');
        assert.equal(await storage.enqueueDue(T0 + 100, 10), 1);
        assert.equal((await storage.getJob(soon.id))?.state, 'enqueued');
        assert.equal((await storage.getJob(later.id))?.state, 'scheduled');
        assert.equal(await storage.nextDueAt(), T0 + 1000);
        const got = await storage.fetch({ queues: ['q1', 'q2'], max: 5, serverId: 's', leaseMs: 5, now: T0 + 100 });
        assert.equal(got.length, 2);
        const h = await storage.getJob(soon.id);
        assert.deepEqual(
          h?.history.map((x) => x.name),
          ['scheduled', 'enqueued', 'processing'],
        );
      }));
  });
}
