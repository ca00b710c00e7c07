import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { BackgroundJobServer, JobClient, LockTimeoutError, KilnError, MemoryStorage, defineJob, disableConcurrentExecution, silentLogger } from '../../src/index.js';
import { deferred, waitFor } from '../support/wait.js';

describe('disableConcurrentExecution', () => {
  it("takes its lock on the server's clock, not Date.now()", async () => {
    const storage = new MemoryStorage();
    // The server's clock runs an hour ahead of Date.now(), as a clock corrected to a database's may.
    const clock = { now: () => Date.now() + 3_600_000 };
    const started = deferred();
    const gate = deferred();
    const job = defineJob({
      name: 'concurrency-lock-clock',
      filters: [disableConcurrentExecution()],
      run: async () => {
        started.resolve();
        await gate.promise;
      },
    });
    const server = new BackgroundJobServer({ storage, clock, jobs: [job], logger: silentLogger, pollInterval: 20 });
    await server.start();
    try {
      const id = await new JobClient({ storage, logger: silentLogger, clock }).enqueue(job, undefined);
      await started.promise;
      // Stamped with Date.now(), the lock would look an hour expired to anyone on the server's clock.
      assert.equal(await storage.acquireLock('kiln:concurrency:concurrency-lock-clock', 'another-run', 1_000, clock.now()), false);
      gate.resolve();
      await waitFor('the run to succeed', async () => (await storage.getJob(id))?.state === 'succeeded');
      assert.equal(await storage.acquireLock('kiln:concurrency:concurrency-lock-clock', 'another-run', 1_000, clock.now()), true, 'released after the run');
    } finally {
      gate.resolve();
      await server.dispose();
    }
  });

  it('a run that cannot take the lock in time fails with a LockTimeoutError, a KilnError', async () => {
    const storage = new MemoryStorage();
    const job = defineJob({ name: 'concurrency-lock-timeout', retry: { attempts: 0 }, filters: [disableConcurrentExecution({ timeout: 50 })], run: () => {} });
    // Someone else holds the lock for the next minute.
    assert.equal(await storage.acquireLock('kiln:concurrency:concurrency-lock-timeout', 'someone-else', 60_000, Date.now()), true);
    const server = new BackgroundJobServer({ storage, jobs: [job], logger: silentLogger, pollInterval: 20 });
    await server.start();
    try {
      const id = await new JobClient({ storage, logger: silentLogger }).enqueue(job, undefined);
      const failed = await waitFor('the attempt to fail', async () => {
        const j = await storage.getJob(id);
        return j?.state === 'failed' ? j : undefined;
      });
      assert.equal(failed.stateData?.['type'], 'LockTimeoutError');
      assert.ok(new LockTimeoutError('x') instanceof KilnError);
    } finally {
      await server.dispose();
    }
  });
});
