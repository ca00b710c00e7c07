import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { silentLogger } from '../../logger.js';
import { openDescribedStorage } from '../descriptor.js';
import { T0, newJob, withStore, type ConformanceTarget } from './harness.js';

/** `describe()`: how another thread or process opens the same store (the heartbeat thread does). */
export function describeCases(target: ConformanceTarget): void {
  describe(`${target.name}: describing the store for another thread`, () => {
    it('describes itself in plain JSON, and a storage opened from that sees the same jobs both ways (or it says it cannot)', () =>
      withStore(target, async ({ storage }) => {
        const description = storage.describe?.();
        // A store that lives in this process only (memory) cannot be opened elsewhere.
        if (description === undefined) return;
        assert.deepEqual(JSON.parse(JSON.stringify(description)), description, 'the description is plain JSON');
        const other = await openDescribedStorage(description, silentLogger);
        try {
          const mine = newJob();
          await storage.createJobs([mine], { now: T0 });
          assert.equal((await other.getJob(mine.id))?.state, 'enqueued');
          const theirs = newJob();
          await other.createJobs([theirs], { now: T0 });
          assert.equal((await storage.getJob(theirs.id))?.state, 'enqueued');
          // The other storage renews a lease this one took: it is the same store, not a copy.
          const [claimed] = await storage.fetch({ queues: ['default'], max: 1, serverId: 's1', leaseMs: 1_000, now: T0 });
          assert.ok(claimed);
          assert.deepEqual(await other.renewLeases('s1', [claimed.id], 1_000, T0 + 500), []);
          assert.deepEqual(await other.renewLeases('s2', [claimed.id], 1_000, T0 + 500), [claimed.id]);
        } finally {
          await other.close();
        }
      }));
  });
}
