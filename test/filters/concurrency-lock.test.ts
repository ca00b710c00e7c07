import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  BackgroundJobServer,
  JobClient,
  LockTimeoutError,
  KilnError,
  MemoryStorage,
  ValidationError,
  defineJob,
  disableConcurrentExecution,
  silentLogger,
  type FetchOptions,
} from '../../src/index.js';
import { deferred, waitFor } from '../support/wait.js';

describe('disableConcurrentExecution', () => {
  it("in a job's filters it is concurrency: { limit: 1 } per key: a second run waits in its queue, with no lock and no timeout", async () => {
    const storage = new MemoryStorage();
    let fetches = 0;
    const fetch = storage.fetch.bind(storage);
    storage.fetch = (o: FetchOptions) => (fetches++, fetch(o));
    const started = deferred();
    const gate = deferred();
    const job = defineJob({
      name: 'concurrency-lock-exclusive',
      retry: { attempts: 0 },
      filters: [disableConcurrentExecution({ key: (a) => (a as { account: string }).account, timeout: 1 })],
      run: async (_: { account: string }) => {
        started.resolve();
        await gate.promise;
      },
    });
    assert.equal(job.concurrency?.limit, 1);
    assert.throws(
      () => defineJob({ name: 'concurrency-lock-both', concurrency: { limit: 2 }, filters: [disableConcurrentExecution()], run: () => {} }),
      (e: unknown) => e instanceof ValidationError && e.field === 'concurrency',
    );
    const client = new JobClient({ storage, logger: silentLogger });
    const server = new BackgroundJobServer({ storage, jobs: [job], logger: silentLogger, pollInterval: 5 });
    await server.start();
    try {
      const first = await client.enqueue(job, { account: 'acct-1' });
      await started.promise;
      const second = await client.enqueue(job, { account: 'acct-1' });
      assert.deepEqual((await client.get(second))?.concurrency, { key: 'concurrency-lock-exclusive:acct-1', limit: 1 });
      // Many claims pass it by while the first runs (a lock would have timed out after 1 ms).
      const seen = fetches;
      await waitFor('ten more claims', () => fetches >= seen + 10);
      const waiting = await client.get(second);
      assert.equal(waiting?.state, 'enqueued');
      assert.equal(waiting?.attempt, 1);
      assert.equal(waiting?.history.length, 1);
      gate.resolve();
      await waitFor('both to succeed', async () => (await storage.statistics()).states.succeeded === 2);
      assert.deepEqual(
        (await client.get(second))?.history.map((h) => h.name),
        ['enqueued', 'processing', 'succeeded'],
      );
      assert.equal((await client.get(first))?.state, 'succeeded');
    } finally {
      gate.resolve();
      await server.dispose();
    }
  });

  it("on a server, where enqueue cannot see it, it locks around the run, on the server's clock, not Date.now()", async () => {
    const storage = new MemoryStorage();
    // The server's clock runs an hour ahead of Date.now(), as a clock corrected to a database's may.
    const clock = { now: () => Date.now() + 3_600_000 };
    const started = deferred();
    const gate = deferred();
    const job = defineJob({
      name: 'concurrency-lock-clock',
      run: async () => {
        started.resolve();
        await gate.promise;
      },
    });
    const filters = [disableConcurrentExecution()];
    const server = new BackgroundJobServer({ storage, clock, jobs: [job], filters, logger: silentLogger, pollInterval: 20 });
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

  it('there, a run that cannot take the lock in time fails with a LockTimeoutError, a KilnError', async () => {
    const storage = new MemoryStorage();
    const job = defineJob({ name: 'concurrency-lock-timeout', retry: { attempts: 0 }, run: () => {} });
    // Someone else holds the lock for the next minute.
    assert.equal(await storage.acquireLock('kiln:concurrency:concurrency-lock-timeout', 'someone-else', 60_000, Date.now()), true);
    const filters = [disableConcurrentExecution({ timeout: 50 })];
    const server = new BackgroundJobServer({ storage, jobs: [job], filters, logger: silentLogger, pollInterval: 20 });
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
