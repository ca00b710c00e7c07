import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { drainInBatches } from '../../src/batch-drain.js';
import { BackgroundJobServer, MemoryStorage, silentLogger, type NewJob } from '../../src/index.js';
import { newJob } from '../../src/storage/conformance/index.js';
import { waitFor } from '../support/wait.js';

describe('maintenance in batches', () => {
  it('drainInBatches calls again while batches come back full, and stops between batches once aborted', async () => {
    const limits: number[] = [];
    let left = 25;
    const step = async (limit: number) => {
      limits.push(limit);
      const n = Math.min(limit, left);
      left -= n;
      return n;
    };
    assert.equal(await drainInBatches(step, { batch: 10 }), 25);
    assert.deepEqual(limits, [10, 10, 10], 'two full batches, then a short one ends it');

    left = 25;
    limits.length = 0;
    const stop = new AbortController();
    const total = await drainInBatches(
      async (limit) => {
        const n = await step(limit);
        stop.abort();
        return n;
      },
      { batch: 10, signal: stop.signal },
    );
    assert.equal(total, 10, 'the batch in progress finishes, no other starts');
    assert.equal(left, 15);
  });

  it('one run of the watchdog, the expiration manager and the delayed scheduler works off backlogs of several batches', async () => {
    const storage = new MemoryStorage();
    const now = Date.now();
    const count = 2_500; // two and a half batches
    const many = (f: (i: number) => Partial<NewJob>) => Array.from({ length: count }, (_, i) => newJob(f(i)));
    // Jobs a dead server held, their leases long over.
    await storage.createJobs(many(() => ({ queue: 'held' })), { now });
    assert.equal((await storage.fetch({ queues: ['held'], max: count, serverId: 'gone', leaseMs: 1, now: now - 60_000 })).length, count);
    // Succeeded jobs past their retention.
    const done = many(() => ({ queue: 'done' }));
    await storage.createJobs(done, { now });
    const expired = await storage.transition(done.map((j) => ({ id: j.id, expectStates: ['enqueued'], to: { name: 'succeeded', at: now - 60_000 }, expireAt: now - 1 })), now);
    assert.ok(expired.every(Boolean));
    // Scheduled jobs already due.
    await storage.createJobs(many(() => ({ queue: 'due', state: { name: 'scheduled', at: now - 60_000 }, runAt: now - 1_000 })), { now });

    // Every interval an hour: only the run at start can do the work.
    const server = new BackgroundJobServer({
      storage,
      queues: ['nothing-here'],
      logger: silentLogger,
      serverCheckInterval: '1h',
      expirationCheckInterval: '1h',
      schedulePollingInterval: '1h',
    });
    await server.start();
    try {
      await waitFor('every backlog worked off', async () => {
        const queues = await storage.queues();
        const enqueued = (q: string) => queues.find((s) => s.queue === q)?.enqueued ?? 0;
        const stats = await storage.statistics();
        return enqueued('held') === count && enqueued('due') === count && stats.states.succeeded === 0;
      });
      assert.equal((await storage.statistics()).states.processing, 0);
    } finally {
      await server.dispose();
    }
  });
});
