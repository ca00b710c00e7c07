import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { BackgroundJobServer, JobClient, MemoryStorage, defineJob, silentLogger } from '../../src/index.js';
import { waitFor } from '../support/wait.js';

describe('graceful shutdown', () => {
  it('dispose() requeues jobs that honor the signal at once; the next server completes them', async () => {
    const storage = new MemoryStorage();
    const client = new JobClient({ storage, logger: silentLogger });
    let running = 0;
    let firstServer = true;
    const done: string[] = [];
    const cooperative = defineJob({
      name: 'shutdown-cooperative',
      retry: { attempts: 0 },
      run: (n: number, ctx) => {
        if (!firstServer) {
          done.push(ctx.jobId);
          return n;
        }
        running++;
        // Runs until told to stop, as a long export would.
        return new Promise((_resolve, reject) => ctx.signal.addEventListener('abort', () => reject(ctx.signal.reason as Error)));
      },
    });
    const ids = await client.enqueueMany(cooperative, [1, 2, 3, 4]);
    const server = new BackgroundJobServer({ storage, jobs: [cooperative], workerCount: 4, logger: silentLogger, pollInterval: 20, shutdownTimeout: 3_000 });
    await server.start();
    await waitFor('all four running', () => running === 4);
    const began = Date.now();
    await server.dispose();
    const took = Date.now() - began;
    assert.ok(took < 3_000, `dispose took ${took} ms, over shutdownTimeout`);
    for (const id of ids) {
      const j = await client.get(id);
      assert.equal(j?.state, 'enqueued', 'interrupted, not failed');
      assert.equal(j?.attempt, 1, 'the attempt is untouched');
      assert.deepEqual(j?.history.map((h) => h.name), ['enqueued', 'processing', 'enqueued']);
      assert.match(j?.stateReason ?? '', /shutting down/);
    }
    assert.deepEqual(await storage.listServers(), [], 'the server removed itself');

    firstServer = false;
    const next = new BackgroundJobServer({ storage, jobs: [cooperative], workerCount: 4, logger: silentLogger, pollInterval: 20 });
    await next.start();
    await waitFor('all completed on the next server', () => done.length === 4);
    await waitFor('all succeeded', async () => (await storage.statistics()).states.succeeded === 4);
    await next.dispose();
  });

  it('dispose() resolves after shutdownTimeout even when a job ignores its signal; the job is requeued', async () => {
    const storage = new MemoryStorage();
    const client = new JobClient({ storage, logger: silentLogger });
    let started = false;
    let release: () => void = () => {};
    const stubborn = defineJob({
      name: 'shutdown-stubborn',
      run: () => {
        started = true;
        return new Promise<void>((resolve) => (release = resolve));
      },
    });
    const id = await client.enqueue(stubborn, undefined);
    const server = new BackgroundJobServer({ storage, jobs: [stubborn], logger: silentLogger, pollInterval: 20, stopTimeout: 50, shutdownTimeout: 300 });
    await server.start();
    await waitFor('started', () => started);
    const began = Date.now();
    await server.dispose();
    const took = Date.now() - began;
    assert.ok(took >= 300 && took < 2_000, `dispose took ${took} ms`);
    assert.equal((await client.get(id))?.state, 'enqueued');
    release();
  });

  it('dispose() lets jobs that finish within stopTimeout succeed', async () => {
    const storage = new MemoryStorage();
    const client = new JobClient({ storage, logger: silentLogger });
    let started = false;
    const quick = defineJob({
      name: 'shutdown-quick',
      run: async () => {
        started = true;
        await new Promise((r) => setTimeout(r, 50));
        return 'finished';
      },
    });
    const id = await client.enqueue(quick, undefined);
    const server = new BackgroundJobServer({ storage, jobs: [quick], logger: silentLogger, pollInterval: 20, stopTimeout: 2_000 });
    await server.start();
    await waitFor('started', () => started);
    await server.dispose();
    assert.equal((await client.get(id))?.state, 'succeeded');
  });

  it('supports await using and refuses to start twice', async () => {
    const storage = new MemoryStorage();
    {
      await using server = new BackgroundJobServer({ storage, logger: silentLogger });
      await server.start();
      await assert.rejects(server.start(), /cannot start/);
      assert.equal((await storage.listServers()).length, 1);
    }
    assert.equal((await storage.listServers()).length, 0);
  });

  it('jobs claimed ahead (prefetch) but not started go straight back to their queue at dispose()', async () => {
    const storage = new MemoryStorage();
    const client = new JobClient({ storage, logger: silentLogger });
    let started = 0;
    const blocking = defineJob({
      name: 'shutdown-prefetched',
      run: (_: number, ctx) => {
        started++;
        return new Promise<void>((_r, reject) => ctx.signal.addEventListener('abort', () => reject(ctx.signal.reason as Error)));
      },
    });
    const ids = await client.enqueueMany(blocking, [1, 2, 3, 4, 5, 6]);
    const server = new BackgroundJobServer({ storage, jobs: [blocking], workerCount: 1, prefetch: 5, logger: silentLogger, pollInterval: 20 });
    await server.start();
    await waitFor('one running and five claimed', async () => started === 1 && (await storage.statistics()).states.processing === 6);
    await server.dispose();
    assert.equal(started, 1, 'the claimed jobs never ran');
    const jobs = await Promise.all(ids.map((id) => client.get(id)));
    assert.ok(jobs.every((j) => j?.state === 'enqueued' && j.attempt === 1));
    assert.equal(jobs.filter((j) => /claimed but not started/.test(j?.stateReason ?? '')).length, 5);
    assert.throws(() => new BackgroundJobServer({ storage, prefetch: -1 }), /prefetch: must be a whole number/);
  });
});
