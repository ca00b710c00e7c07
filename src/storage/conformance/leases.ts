import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { T0, newJob, withStore, type ConformanceTarget } from './harness.js';

/** Leases, crash recovery, servers and locks. */
export function leaseCases(target: ConformanceTarget): void {
  describe(`${target.name}: leases and servers`, () => {
    it('renews leases of held jobs and reports the ones no longer held', () =>
      withStore(target, async ({ storage }) => {
        const a = newJob();
        const b = newJob();
        await storage.createJobs([a, b], { now: T0 });
        await storage.fetch({ queues: ['default'], max: 2, serverId: 'S', leaseMs: 1000, now: T0 });
        await storage.transition([{ id: b.id, expectStates: ['processing'], to: { name: 'deleted', at: T0 } }], T0);
        const lost = await storage.renewLeases('S', [a.id, b.id], 5000, T0 + 500);
        assert.deepEqual(lost, [b.id]);
        assert.equal((await storage.getJob(a.id))?.leaseUntil, T0 + 5500);
        // The renewed lease survives past the first one's end.
        assert.equal(await storage.releaseExpiredLeases(T0 + 2000, 100), 0);
      }));

    it('merges parameters into a job only while the given server runs it', () =>
      withStore(target, async ({ storage }) => {
        const a = newJob({ parameters: { keep: 1 } });
        await storage.createJobs([a], { now: T0 });
        assert.equal(await storage.mergeParameters(a.id, 'S', { progress: 10 }, T0), false, 'not processing yet');
        await storage.fetch({ queues: ['default'], max: 1, serverId: 'S', leaseMs: 1000, now: T0 });
        assert.equal(await storage.mergeParameters(a.id, 'T', { progress: 10 }, T0), false, 'another server');
        assert.equal(await storage.mergeParameters(a.id, 'S', { progress: 50, phase: { step: 'b' } }, T0), true);
        assert.equal(await storage.mergeParameters(a.id, 'S', { progress: 75 }, T0), true);
        assert.deepEqual((await storage.getJob(a.id))?.parameters, { keep: 1, progress: 75, phase: { step: 'b' } });
        assert.equal(await storage.mergeParameters('missing', 'S', { progress: 1 }, T0), false);
      }));

    it('requeues jobs whose lease expired, with the reason in history', () =>
      withStore(target, async ({ storage }) => {
        const a = newJob();
        await storage.createJobs([a], { now: T0 });
        await storage.fetch({ queues: ['default'], max: 1, serverId: 'S', leaseMs: 1000, now: T0 });
        assert.equal(await storage.releaseExpiredLeases(T0 + 1000, 100), 0);
        assert.equal(await storage.releaseExpiredLeases(T0 + 1001, 100), 1);
        const d = await storage.getJob(a.id);
        assert.equal(d?.state, 'enqueued');
        assert.equal(d?.serverId, null);
        assert.deepEqual(
          d?.history.map((h) => h.name),
          ['enqueued', 'processing', 'enqueued'],
        );
        assert.match(d?.history[2]!.reason ?? '', /lease/i);
        // The old holder can no longer complete it.
        const r = await storage.transition(
          [{ id: a.id, expectStates: ['processing'], expectServerId: 'S', to: { name: 'succeeded', at: T0 } }],
          T0,
        );
        assert.deepEqual(r, [false]);
        const again = await storage.fetch({ queues: ['default'], max: 1, serverId: 'T', leaseMs: 1000, now: T0 + 2000 });
        assert.equal(again[0]?.id, a.id);
      }));

    it('announces servers, heartbeats, and removes dead ones with their jobs requeued', () =>
      withStore(target, async ({ storage }) => {
        const server = (id: string, at: number) => ({
          id,
          name: `host:${id}`,
          workerCount: 4,
          queues: ['default', 'mail'],
          startedAt: at,
          heartbeatAt: at,
        });
        await storage.announceServer(server('alive', T0));
        await storage.announceServer(server('dead', T0));
        const j = newJob();
        await storage.createJobs([j], { now: T0 });
        await storage.fetch({ queues: ['default'], max: 1, serverId: 'dead', leaseMs: 600_000, now: T0 });
        assert.equal(await storage.heartbeat('alive', T0 + 20_000), true);
        assert.equal(await storage.heartbeat('nobody', T0 + 20_000), false);
        const servers = await storage.listServers();
        assert.deepEqual(servers.map((s) => s.id).sort(), ['alive', 'dead']);
        const alive = servers.find((s) => s.id === 'alive');
        assert.equal(alive?.heartbeatAt, T0 + 20_000);
        assert.deepEqual(alive?.queues, ['default', 'mail']);
        assert.equal(alive?.workerCount, 4);
        const removed = await storage.removeDeadServers(T0 + 10_000, T0 + 30_000);
        assert.deepEqual(removed, ['dead']);
        assert.deepEqual(
          (await storage.listServers()).map((s) => s.id),
          ['alive'],
        );
        assert.equal((await storage.getJob(j.id))?.state, 'enqueued');
        assert.equal(await storage.heartbeat('dead', T0 + 31_000), false);
        await storage.removeServer('alive', T0 + 40_000);
        assert.deepEqual(await storage.listServers(), []);
      }));

    it('locks exclude other owners until released or expired', () =>
      withStore(target, async ({ storage, connect }) => {
        const other = await connect();
        assert.equal(await storage.acquireLock('res', 'A', 1000, T0), true);
        assert.equal(await other.acquireLock('res', 'B', 1000, T0 + 10), false);
        assert.equal(await storage.acquireLock('res', 'A', 1000, T0 + 500), true, 'the owner extends');
        assert.equal(await other.acquireLock('res', 'B', 1000, T0 + 1200), false, 'extended lock still held');
        assert.equal(await other.acquireLock('res', 'B', 1000, T0 + 1501), true, 'expired lock is taken over');
        await storage.releaseLock('res', 'A');
        assert.equal(await storage.acquireLock('res', 'A', 1000, T0 + 1600), false, 'release by a non-owner does nothing');
        await other.releaseLock('res', 'B');
        assert.equal(await storage.acquireLock('res', 'A', 1000, T0 + 1600), true);
        const results = await Promise.all(
          ['c1', 'c2', 'c3', 'c4', 'c5', 'c6'].map((o, i) => (i % 2 ? storage : other).acquireLock('race', o, 1000, T0)),
        );
        assert.equal(results.filter(Boolean).length, 1);
      }));
  });
}
