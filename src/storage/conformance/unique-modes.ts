import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { T0, newJob, withStore, type ConformanceTarget } from './harness.js';

const DELAY = 5_000;

/** A debounced job as the engine makes it: scheduled one delay after the call, under its unique key. */
const debounced = (key: string, n: number, now: number, extra: Parameters<typeof newJob>[0] = {}) =>
  newJob({
    uniqueKey: key,
    uniqueMode: 'debounce',
    args: JSON.stringify({ n }),
    state: { name: 'scheduled', reason: 'Debounced', at: now, data: { runAt: now + DELAY } },
    runAt: now + DELAY,
    createdAt: now,
    ...extra,
  });

const throttled = (key: string, n: number, now: number, windowMs: number) =>
  newJob({ uniqueKey: key, uniqueMode: 'throttle', uniqueUntil: now + windowMs, args: JSON.stringify({ n }), createdAt: now });

/** Debounce and throttle: modes of unique keys, each one atomic step of the storage. */
export function uniqueModeCases(target: ConformanceTarget): void {
  describe(`${target.name}: debounce and throttle`, () => {
    it('debounce keeps one job with the last args and pushes its start one delay after the last call', () =>
      withStore(target, async ({ storage }) => {
        const first = debounced('rebuild', 1, T0);
        assert.deepEqual(await storage.createJobs([first], { now: T0 }), [{ id: first.id, created: true }]);
        const second = debounced('rebuild', 2, T0 + 1000, { priority: 4 });
        assert.deepEqual(await storage.createJobs([second], { now: T0 + 1000 }), [{ id: first.id, created: false }]);
        const third = debounced('rebuild', 3, T0 + 3000, { concurrency: { key: 'rebuild', limit: 1 } });
        assert.deepEqual(await storage.createJobs([third], { now: T0 + 3000 }), [{ id: first.id, created: false }]);
        assert.equal(await storage.getJob(second.id), null);
        assert.equal(await storage.getJob(third.id), null);
        const job = await storage.getJob(first.id);
        assert.equal(job?.state, 'scheduled');
        assert.equal(job?.args, '{"n":3}');
        assert.equal(job?.runAt, T0 + 3000 + DELAY);
        assert.equal(job?.priority, 0, "the last call's priority");
        assert.deepEqual(job?.concurrency, { key: 'rebuild', limit: 1 }, "the last call's limits");
        assert.deepEqual(
          job?.history.map((h) => [h.name, h.at]),
          [
            ['scheduled', T0],
            ['scheduled', T0 + 1000],
            ['scheduled', T0 + 3000],
          ],
        );
        assert.equal((await storage.statistics()).states.scheduled, 1);
        assert.equal(await storage.nextDueAt(), T0 + 3000 + DELAY);
        assert.equal(await storage.enqueueDue(T0 + 3000 + DELAY - 1, 10), 0, 'not due before one delay after the last call');

        // Due and enqueued but not started: still pending, so a call pushes it back.
        assert.equal(await storage.enqueueDue(T0 + 3000 + DELAY, 10), 1);
        const fourth = debounced('rebuild', 4, T0 + 9000);
        assert.deepEqual(await storage.createJobs([fourth], { now: T0 + 9000 }), [{ id: first.id, created: false }]);
        const pushed = await storage.getJob(first.id);
        assert.equal(pushed?.state, 'scheduled');
        assert.equal(pushed?.args, '{"n":4}');
        const stats = await storage.statistics();
        assert.equal(stats.states.enqueued, 0);
        assert.equal(stats.states.scheduled, 1);
        assert.deepEqual(await storage.fetch({ queues: ['default'], max: 5, serverId: 's', leaseMs: 1000, now: T0 + 9000 }), []);
      }));

    it('debounced calls of one key in one batch behave as separate calls: one job, the last call wins', () =>
      withStore(target, async ({ storage }) => {
        const calls = [debounced('batch', 1, T0), debounced('batch', 2, T0, { priority: 3 }), debounced('batch', 3, T0)];
        const other = newJob();
        const created = await storage.createJobs([calls[0]!, other, calls[1]!, calls[2]!], { now: T0 });
        assert.deepEqual(created, [
          { id: calls[0]!.id, created: true },
          { id: other.id, created: true },
          { id: calls[0]!.id, created: false },
          { id: calls[0]!.id, created: false },
        ]);
        const job = await storage.getJob(calls[0]!.id);
        assert.equal(job?.args, '{"n":3}');
        assert.equal(job?.priority, 0, "the last call's priority");
        assert.equal(job?.history.length, 3, 'one entry per call');
        assert.equal(await storage.getJob(calls[1]!.id), null);
        assert.equal(await storage.getJob(calls[2]!.id), null);
        const stats = await storage.statistics();
        assert.equal(stats.states.scheduled, 1);
        assert.equal(stats.states.enqueued, 1);
      }));

    it('debounce: a started job no longer holds the key, an awaiting one keeps it', () =>
      withStore(target, async ({ storage }) => {
        const first = debounced('k', 1, T0);
        await storage.createJobs([first], { now: T0 });
        await storage.enqueueDue(T0 + DELAY, 10);
        await storage.fetch({ queues: ['default'], max: 1, serverId: 's', leaseMs: 60_000, now: T0 + DELAY });
        const next = debounced('k', 2, T0 + DELAY + 1);
        assert.deepEqual(await storage.createJobs([next], { now: T0 + DELAY + 1 }), [{ id: next.id, created: true }]);
        const again = debounced('k', 3, T0 + DELAY + 2);
        assert.deepEqual(await storage.createJobs([again], { now: T0 + DELAY + 2 }), [{ id: next.id, created: false }]);
        assert.equal((await storage.getJob(first.id))?.state, 'processing');
        assert.equal((await storage.getJob(first.id))?.args, '{"n":1}');
        assert.equal((await storage.getJob(next.id))?.args, '{"n":3}');
        // The running job, requeued, does not take the key back from the pending one.
        await storage.transition([{ id: first.id, expectStates: ['processing'], to: { name: 'enqueued', at: T0 + DELAY + 3 } }], T0 + DELAY + 3);
        const fourth = debounced('k', 4, T0 + DELAY + 4);
        assert.deepEqual(await storage.createJobs([fourth], { now: T0 + DELAY + 4 }), [{ id: next.id, created: false }]);

        const parent = newJob();
        const waiting = newJob({ uniqueKey: 'w', state: { name: 'awaiting', at: T0 }, parentId: parent.id });
        await storage.createJobs([parent, waiting], { now: T0 });
        const call = debounced('w', 9, T0 + 1);
        assert.deepEqual(await storage.createJobs([call], { now: T0 + 1 }), [{ id: waiting.id, created: false }]);
        const kept = await storage.getJob(waiting.id);
        assert.equal(kept?.state, 'awaiting');
        assert.equal(kept?.args, '{"n":1}');
      }));

    it('50 concurrent debounced calls from several connections leave exactly one job', () =>
      withStore(target, async ({ storage, connect }) => {
        const conns = [storage, await connect(), await connect()];
        const results = await Promise.all(
          Array.from({ length: 50 }, (_, i) => conns[i % conns.length]!.createJobs([debounced('burst', i, T0 + i)], { now: T0 + i })),
        );
        assert.equal(new Set(results.map((r) => r[0]!.id)).size, 1);
        assert.equal(results.filter((r) => r[0]!.created).length, 1);
        const stats = await storage.statistics();
        assert.equal(stats.states.scheduled, 1);
        const job = await storage.getJob(results[0]![0]!.id);
        assert.equal(job?.history.length, 50);
      }));

    it('throttle keeps the first job of a window and drops the rest, even once the first has finished', () =>
      withStore(target, async ({ storage }) => {
        const first = throttled('sync', 1, T0, 10_000);
        assert.deepEqual(await storage.createJobs([first], { now: T0 }), [{ id: first.id, created: true }]);
        const dropped = throttled('sync', 2, T0 + 1000, 10_000);
        assert.deepEqual(await storage.createJobs([dropped], { now: T0 + 1000 }), [{ id: first.id, created: false }]);
        assert.equal((await storage.getJob(first.id))?.args, '{"n":1}', 'the first keeps its args');
        await storage.fetch({ queues: ['default'], max: 1, serverId: 's', leaseMs: 60_000, now: T0 + 2000 });
        await storage.transition([{ id: first.id, expectStates: ['processing'], to: { name: 'succeeded', at: T0 + 2000 } }], T0 + 2000);
        const stillDropped = throttled('sync', 3, T0 + 9999, 10_000);
        assert.deepEqual(await storage.createJobs([stillDropped], { now: T0 + 9999 }), [{ id: first.id, created: false }]);
        const nextWindow = throttled('sync', 4, T0 + 10_000, 10_000);
        assert.deepEqual(await storage.createJobs([nextWindow], { now: T0 + 10_000 }), [{ id: nextWindow.id, created: true }]);
        const stats = await storage.statistics();
        assert.equal(stats.states.enqueued, 1);
        assert.equal(stats.states.succeeded, 1);
      }));

    it("the default 'keep' is unchanged: a finished job frees the key, a throttled call honours an active plain holder", () =>
      withStore(target, async ({ storage }) => {
        const a = newJob({ uniqueKey: 'u', uniqueMode: 'keep' });
        await storage.createJobs([a], { now: T0 });
        const throttledCall = throttled('u', 2, T0 + 1, 1000);
        assert.deepEqual(await storage.createJobs([throttledCall], { now: T0 + 1 }), [{ id: a.id, created: false }]);
        await storage.transition([{ id: a.id, expectStates: ['enqueued'], to: { name: 'deleted', at: T0 + 2 } }], T0 + 2);
        const b = newJob({ uniqueKey: 'u' });
        assert.deepEqual(await storage.createJobs([b], { now: T0 + 3 }), [{ id: b.id, created: true }]);
      }));
  });
}
