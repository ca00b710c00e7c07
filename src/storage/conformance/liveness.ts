import assert from 'node:assert/strict';
import { describe, it, type TestContext } from 'node:test';
import { INTERRUPTIONS_PARAMETER, type ServerRecord, type Storage } from '../contract/index.js';
import { T0, newJob, withStore, type ConformanceStore, type ConformanceTarget, type RemoteHolder } from './harness.js';

const server = (id: string, at = T0): ServerRecord => ({ id, name: `host:${id}`, workerCount: 1, queues: ['default'], startedAt: at, heartbeatAt: at });

/**
 * Calls `removeVanishedServers` until it reports something or `ms` pass: a dead owner's mark is
 * released by the storage "at once", but asynchronously (a Postgres backend ends when it reads
 * the closed socket), so the first check right after the kill may still see it held.
 */
async function vanishedWithin(storage: Storage, checkerId: string, ms = 5_000): Promise<string[]> {
  const deadline = Date.now() + ms;
  for (;;) {
    const removed = await storage.removeVanishedServers(T0 + 2_000, checkerId);
    if (removed.length > 0 || Date.now() > deadline) return removed;
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** A holder in another process, or the test skipped when the store cannot give one. */
async function holder(t: TestContext, store: ConformanceStore, serverId: string): Promise<RemoteHolder | undefined> {
  if (!store.holdElsewhere) {
    t.skip('this backend cannot lose a holder without losing the store');
    return undefined;
  }
  const h = await store.holdElsewhere(serverId);
  if (!h) t.skip('this backend holds no liveness mark here (holdLiveness returned null): servers rely on the heartbeat timeout');
  return h ?? undefined;
}

/** Runs `fn` on a fresh store with `serverId`'s mark held by another process, killed afterwards. */
function withHolder(target: ConformanceTarget, t: TestContext, serverId: string, fn: (storage: Storage, holder: RemoteHolder) => Promise<void>): Promise<void> {
  return withStore(target, async (store) => {
    const h = await holder(t, store, serverId);
    if (!h) return;
    try {
      await fn(store.storage, h);
    } finally {
      await h.kill();
    }
  });
}

/** Liveness marks, finding servers whose process died, and the storage's clock (`contract/liveness.ts`). */
export function livenessCases(target: ConformanceTarget): void {
  describe(`${target.name}: liveness`, () => {
    it('a held mark keeps its server and its jobs; a released mark is judged no more', (t) =>
      withStore(target, async ({ storage, connect }) => {
        const hold = await storage.holdLiveness('A');
        if (!hold) return void t.skip('no liveness mark on this backend here');
        assert.equal(typeof hold.heldSince, 'number');
        assert.ok(hold.heldSince! <= Date.now());
        await storage.announceServer(server('A'));
        const j = newJob();
        await storage.createJobs([j], { now: T0 });
        await storage.fetch({ queues: ['default'], max: 1, serverId: 'A', leaseMs: 600_000, now: T0 });
        const other = await connect();
        assert.deepEqual(await other.removeVanishedServers(T0 + 1_000, 'checker'), []);
        assert.equal((await storage.getJob(j.id))?.state, 'processing');
        await hold.release();
        await hold.release();
        // Released: a server record without a mark is left to the heartbeat timeout.
        assert.deepEqual(await other.removeVanishedServers(T0 + 1_000, 'checker'), []);
        assert.deepEqual((await storage.listServers()).map((s) => s.id), ['A']);
        assert.equal((await storage.getJob(j.id))?.state, 'processing');
      }));

    it('an owner whose event loop is blocked, or whose storage is slow, is not gone', (t) =>
      withHolder(target, t, 'P', async (storage, h) => {
        await storage.announceServer(server('P'));
        const j = newJob();
        await storage.createJobs([j], { now: T0 });
        await storage.fetch({ queues: ['default'], max: 1, serverId: 'P', leaseMs: 600_000, now: T0 });
        await h.pause(1_000);
        assert.deepEqual(await storage.removeVanishedServers(T0 + 1_000, 'checker'), [], 'a blocked event loop is alive');
        await h.stall(1_000);
        assert.deepEqual(await storage.removeVanishedServers(T0 + 1_000, 'checker'), [], 'a slow storage proves nothing');
        assert.deepEqual((await storage.listServers()).map((s) => s.id), ['P']);
        assert.equal((await storage.getJob(j.id))?.serverId, 'P');
      }));

    it('an owner whose process died is found gone at once, even after a timeout removal, and can no longer complete its jobs', (t) =>
      withHolder(target, t, 'B', async (storage, h) => {
        await storage.announceServer(server('A'));
        await storage.announceServer(server('B'));
        const [x, y] = [newJob(), newJob()];
        await storage.createJobs([x, y], { now: T0 });
        await storage.fetch({ queues: ['default'], max: 1, serverId: 'B', leaseMs: 600_000, now: T0 });
        // Removed by heartbeat timeout while its process lives: its mark stays with it, so once
        // it announces itself again (as its heartbeat does) it is covered again.
        assert.deepEqual((await storage.removeDeadServers(T0 + 1, T0 + 1)).sort(), ['A', 'B']);
        const afterTimeout = (await storage.getJob(x.id))?.parameters[INTERRUPTIONS_PARAMETER];
        await storage.announceServer(server('A', T0 + 1));
        await storage.announceServer(server('B', T0 + 1));
        assert.equal((await storage.fetch({ queues: ['default'], max: 2, serverId: 'B', leaseMs: 600_000, now: T0 + 1 })).length, 2);
        assert.deepEqual(await storage.removeVanishedServers(T0 + 2_000, 'A'), [], 'alive');
        await h.kill();

        assert.deepEqual(await storage.removeVanishedServers(T0 + 2_000, 'B'), [], 'a checker never judges itself');
        assert.deepEqual(await vanishedWithin(storage, 'A'), ['B']);
        assert.deepEqual((await storage.listServers()).map((s) => s.id), ['A']);
        assert.equal(await storage.heartbeat('B', T0 + 3_000), false, 'its heartbeat learns it was removed');
        for (const id of [x.id, y.id]) {
          const d = await storage.getJob(id);
          assert.equal(d?.state, 'enqueued');
          assert.equal(d.serverId, null);
          assert.match(d.stateReason ?? '', /^Server B is gone: ./);
          assert.equal(d.history.at(-1)!.reason, d.stateReason);
          assert.equal(d.history.at(-1)!.at, T0 + 2_000);
        }
        // The same requeue as a removed server's: counted as an interruption where that one is.
        const afterGone = (await storage.getJob(x.id))?.parameters[INTERRUPTIONS_PARAMETER];
        assert.equal(afterGone, typeof afterTimeout === 'number' ? afterTimeout + 1 : afterTimeout);
        // A server that comes back after being found gone cannot complete what was recovered.
        const late = await storage.transition(
          [x.id, y.id].map((id) => ({ id, expectStates: ['processing' as const], expectServerId: 'B', to: { name: 'succeeded' as const, at: T0 + 3_000 } })),
          T0 + 3_000,
        );
        assert.deepEqual(late, [false, false]);
        assert.deepEqual(await storage.removeVanishedServers(T0 + 4_000, 'A'), [], 'its mark record went with it');
      }));

    it('reads the storage clock, or says it shares the host clock', () =>
      withStore(target, async ({ storage }) => {
        const t0 = Date.now();
        const first = await storage.storageTime();
        const t1 = Date.now();
        if (first === null) return;
        assert.ok(Number.isFinite(first));
        // The test storages run on this host, so their clock is this one (within the round trip).
        assert.ok(Math.abs(first - (t0 + t1) / 2) <= (t1 - t0) / 2 + 1_000, `storage time ${first} vs host ${t0}..${t1}`);
        await new Promise((r) => setTimeout(r, 20));
        const second = await storage.storageTime();
        assert.ok(second !== null && second >= first + 10, 'the clock at the moment it answers, not a transaction start');
      }));
  });
}
