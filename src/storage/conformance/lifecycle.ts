import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { StorageEvent } from '../contract/index.js';
import { T0, newJob, withStore, type ConformanceTarget } from './harness.js';

/** Expiration, continuations' parents, and wake-up events. */
export function lifecycleCases(target: ConformanceTarget): void {
  describe(`${target.name}: expiration, continuations, events`, () => {
    it('deletes expired jobs with their history, in bounded batches', () =>
      withStore(target, async ({ storage }) => {
        const jobs = Array.from({ length: 5 }, () => newJob());
        const keep = newJob();
        await storage.createJobs([...jobs, keep], { now: T0 });
        await storage.transition(
          jobs.map((j, i) => ({
            id: j.id,
            expectStates: ['enqueued' as const],
            to: { name: 'deleted' as const, at: T0 },
            expireAt: T0 + 100 + i,
          })),
          T0,
        );
        assert.equal(await storage.deleteExpired(T0 + 99, 10), 0);
        assert.equal(await storage.deleteExpired(T0 + 200, 3), 3);
        assert.equal(await storage.deleteExpired(T0 + 200, 3), 2);
        for (const j of jobs) assert.equal(await storage.getJob(j.id), null);
        assert.equal((await storage.getJob(keep.id))?.state, 'enqueued');
        const stats = await storage.statistics();
        assert.equal(stats.states.deleted, 0);
        assert.equal(stats.states.enqueued, 1);
      }));

    it('lists continuations and the awaiting jobs whose parent settled', () =>
      withStore(target, async ({ storage }) => {
        const parent = newJob();
        const gone = '11111111-1111-1111-1111-111111111111';
        const c1 = newJob({ state: { name: 'awaiting', at: T0 }, parentId: parent.id });
        const c2 = newJob({ state: { name: 'awaiting', at: T0 }, parentId: parent.id });
        const orphan = newJob({ state: { name: 'awaiting', at: T0 }, parentId: gone });
        await storage.createJobs([parent, c1, c2, orphan], { now: T0 });
        assert.deepEqual(
          (await storage.continuationsOf([parent.id])).map((j) => j.id),
          [c1.id, c2.id],
        );
        const before = await storage.awaitingReady(10);
        assert.deepEqual(
          before.map((r) => [r.job.id, r.parentState]),
          [[orphan.id, null]],
        );
        await storage.fetch({ queues: ['default'], max: 1, serverId: 's', leaseMs: 10, now: T0 });
        await storage.transition(
          [{ id: parent.id, expectStates: ['processing'], to: { name: 'succeeded', at: T0 }, result: '42' }],
          T0,
        );
        const after = await storage.awaitingReady(10);
        assert.deepEqual(
          after.map((r) => [r.job.id, r.parentState, r.parentResult]),
          [
            [c1.id, 'succeeded', '42'],
            [c2.id, 'succeeded', '42'],
            [orphan.id, null, null],
          ],
        );
        assert.equal((await storage.awaitingReady(1)).length, 1);
      }));

    it('wakes subscribers when jobs are enqueued and when a running job is taken away', () =>
      withStore(target, async ({ storage, connect }) => {
        const other = await connect();
        const events: StorageEvent[] = [];
        let notify: () => void = () => {};
        const unsubscribe = await storage.subscribe((e) => {
          events.push(e);
          notify();
        });
        const waitFor = (pred: (e: StorageEvent) => boolean) =>
          new Promise<void>((resolve) => {
            notify = () => {
              if (events.some(pred)) resolve();
            };
            notify();
          });
        const j = newJob({ queue: 'wake' });
        await other.createJobs([j], { now: T0 });
        await waitFor((e) => e.type === 'enqueued' && e.queue === 'wake');
        await other.fetch({ queues: ['wake'], max: 1, serverId: 'S', leaseMs: 1000, now: T0 });
        await other.transition([{ id: j.id, expectStates: ['processing'], to: { name: 'deleted', at: T0 } }], T0);
        await waitFor((e) => e.type === 'aborted' && e.jobId === j.id);
        await unsubscribe();
      }));
  });
}
