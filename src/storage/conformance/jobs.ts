import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { T0, newJob, withStore, type ConformanceTarget } from './harness.js';

/** Creating jobs, reading them back, unique keys. */
export function jobCases(target: ConformanceTarget): void {
  describe(`${target.name}: jobs`, () => {
    it('creates jobs in every initial state and reads them back with history', () =>
      withStore(target, async ({ storage }) => {
        const parent = newJob({ parameters: { a: 1 } });
        const later = newJob({ state: { name: 'scheduled', at: T0 }, runAt: T0 + 60_000 });
        const child = newJob({ state: { name: 'awaiting', at: T0, data: { on: 'succeeded' } }, parentId: parent.id });
        const created = await storage.createJobs([parent, later, child], { now: T0 });
        assert.deepEqual(created, [
          { id: parent.id, created: true },
          { id: later.id, created: true },
          { id: child.id, created: true },
        ]);
        const p = await storage.getJob(parent.id);
        assert.ok(p);
        assert.equal(p.state, 'enqueued');
        assert.equal(p.name, 'test-job');
        assert.equal(p.args, '{"n":1}');
        assert.equal(p.attempt, 1);
        assert.deepEqual(p.parameters, { a: 1 });
        assert.deepEqual(p.continuations, [child.id]);
        assert.equal(p.history.length, 1);
        assert.equal(p.history[0]!.name, 'enqueued');
        assert.equal(p.history[0]!.reason, 'test');
        const l = await storage.getJob(later.id);
        assert.equal(l?.state, 'scheduled');
        assert.equal(l?.runAt, T0 + 60_000);
        const c = await storage.getJob(child.id);
        assert.equal(c?.state, 'awaiting');
        assert.equal(c?.parentId, parent.id);
        assert.deepEqual(c?.stateData, { on: 'succeeded' });
        assert.equal(await storage.getJob('00000000-0000-0000-0000-000000000000'), null);
      }));

    it('creates many jobs in one call, keeping their order', () =>
      withStore(target, async ({ storage }) => {
        const jobs = Array.from({ length: 500 }, (_, i) => newJob({ args: JSON.stringify({ i }) }));
        await storage.createJobs(jobs, { now: T0 });
        const fetched = await storage.fetch({ queues: ['default'], max: 500, serverId: 's', leaseMs: 1000, now: T0 });
        assert.deepEqual(
          fetched.map((j) => j.args),
          jobs.map((j) => j.args),
        );
      }));

    it('a unique key returns the active job instead of creating a second', () =>
      withStore(target, async ({ storage }) => {
        const first = newJob({ uniqueKey: 'report:42' });
        const second = newJob({ uniqueKey: 'report:42' });
        const other = newJob({ uniqueKey: 'report:43' });
        const r = await storage.createJobs([first], { now: T0 });
        assert.deepEqual(r, [{ id: first.id, created: true }]);
        const r2 = await storage.createJobs([second, other], { now: T0 });
        assert.deepEqual(r2, [
          { id: first.id, created: false },
          { id: other.id, created: true },
        ]);
        assert.equal(await storage.getJob(second.id), null);
        // Once the holder is final, the key is free again.
        const ok = await storage.transition(
          [{ id: first.id, expectStates: ['enqueued'], to: { name: 'deleted', at: T0 } }],
          T0,
        );
        assert.deepEqual(ok, [true]);
        const third = newJob({ uniqueKey: 'report:42' });
        assert.deepEqual(await storage.createJobs([third], { now: T0 }), [{ id: third.id, created: true }]);
      }));

    it('a unique key stops blocking after uniqueUntil', () =>
      withStore(target, async ({ storage }) => {
        const first = newJob({ uniqueKey: 'k', uniqueUntil: T0 + 1000 });
        await storage.createJobs([first], { now: T0 });
        const blocked = newJob({ uniqueKey: 'k' });
        assert.deepEqual(await storage.createJobs([blocked], { now: T0 + 999 }), [{ id: first.id, created: false }]);
        const allowed = newJob({ uniqueKey: 'k' });
        assert.deepEqual(await storage.createJobs([allowed], { now: T0 + 1000 }), [{ id: allowed.id, created: true }]);
      }));

    it('50 concurrent creations with one unique key, from several connections, create exactly one job', () =>
      withStore(target, async ({ storage, connect }) => {
        const conns = [storage, await connect(), await connect()];
        const results = await Promise.all(
          Array.from({ length: 50 }, (_, i) =>
            conns[i % conns.length]!.createJobs([newJob({ uniqueKey: 'only-one' })], { now: T0 }),
          ),
        );
        const ids = new Set(results.map((r) => r[0]!.id));
        assert.equal(ids.size, 1);
        assert.equal(results.filter((r) => r[0]!.created).length, 1);
        const stats = await storage.statistics();
        assert.equal(stats.states.enqueued, 1);
      }));
  });
}
