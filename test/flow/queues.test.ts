import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { BackgroundJobServer, JobClient, MemoryStorage, SqliteStorage, defineJob, silentLogger, type Storage } from '../../src/index.js';
import { QueueOrder } from '../../src/server/queue-order.js';
import { deferred, waitFor } from '../support/wait.js';

const cleanup: Array<() => Promise<void> | void> = [];
after(async () => {
  for (const c of cleanup.reverse()) await c();
});

async function start(storage: Storage, options: ConstructorParameters<typeof BackgroundJobServer>[0]): Promise<BackgroundJobServer> {
  const server = new BackgroundJobServer({ storage, logger: silentLogger, ...options });
  cleanup.push(() => server.dispose());
  await server.start();
  return server;
}

/** Counts the claims a storage serves. */
function countFetches(storage: Storage): { count: number } {
  const calls = { count: 0 };
  const fetch = storage.fetch.bind(storage);
  storage.fetch = (o) => (calls.count++, fetch(o));
  return calls;
}

describe('queue control in the engine', () => {
  it('pausing stops every server at its next claim (running jobs finish), and resuming wakes them all', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kiln-flow-pause-'));
    cleanup.push(() => rmSync(dir, { recursive: true, force: true }));
    // Two servers with their own connections to one file, and a client on a third.
    const [a, b, c] = [0, 1, 2].map(() => new SqliteStorage(join(dir, 'kiln.db'), { pollIntervalMs: 10 }));
    for (const s of [a!, b!, c!]) cleanup.push(() => s.close());
    const fetchesA = countFetches(a!);
    const fetchesB = countFetches(b!);
    const client = new JobClient({ storage: c!, logger: silentLogger });
    const started = deferred();
    const gate = deferred();
    const job = defineJob({
      name: 'flow-pause',
      queue: 'reports',
      run: async (tag: string) => {
        if (tag !== 'long') return;
        started.resolve();
        await gate.promise;
      },
    });
    // A minute's poll: a server finds work after a resume only if it is woken.
    const options = { jobs: [job], queues: ['reports'], pollInterval: 60_000 };
    await start(a!, options);
    await start(b!, options);
    const running = await client.enqueue(job, 'long');
    await started.promise;

    assert.equal(await client.queues.pause('reports'), true);
    assert.equal(await client.queues.pause('reports'), false, 'already paused');
    const [before1, before2] = [fetchesA.count, fetchesB.count];
    const waiting = await client.enqueue(job, 'later');
    // The new job woke both servers; each claimed and found the queue paused.
    await waitFor('both servers to claim', () => fetchesA.count > before1 && fetchesB.count > before2);
    assert.equal((await client.get(waiting))?.state, 'enqueued');
    assert.deepEqual(await client.queues.list(), [{ name: 'reports', enqueued: 1, processing: 1, paused: true, concurrency: null, rate: null }]);
    gate.resolve();
    await waitFor('the running job to finish', async () => (await client.get(running))?.state === 'succeeded');
    assert.equal((await client.get(waiting))?.state, 'enqueued');

    assert.equal(await client.queues.resume('reports'), true);
    await waitFor('the waiting job to run', async () => (await client.get(waiting))?.state === 'succeeded');
    assert.deepEqual(await client.queues.list(), []);
  });

  it('lists queues with their counts, pause flags and limits, and enforces a queue concurrency limit', async () => {
    const storage = new MemoryStorage();
    const client = new JobClient({ storage, logger: silentLogger });
    await client.queues.setLimits('mail', { concurrency: 2, rate: { max: 100, per: '1m' } });
    await client.queues.pause('idle');
    let running = 0;
    let peak = 0;
    const gate = deferred();
    const job = defineJob({
      name: 'flow-queue-limit',
      queue: 'mail',
      run: async () => {
        peak = Math.max(peak, ++running);
        await gate.promise;
        running--;
      },
    });
    await client.enqueueMany(job, Array.from({ length: 6 }, () => undefined));
    await start(storage, { jobs: [job], queues: ['mail'], workerCount: 10, pollInterval: 20 });
    await waitFor('two running', () => running === 2);
    assert.deepEqual(await client.queues.list(), [
      { name: 'idle', enqueued: 0, processing: 0, paused: true, concurrency: null, rate: null },
      { name: 'mail', enqueued: 4, processing: 2, paused: false, concurrency: 2, rate: { max: 100, perMs: 60_000 } },
    ]);
    gate.resolve();
    await waitFor('all ran', async () => (await storage.statistics()).states.succeeded === 6);
    assert.equal(peak, 2);
    await client.queues.setLimits('mail', {});
    assert.deepEqual(
      (await client.queues.list()).map((q) => q.name),
      ['idle'],
    );
  });
});

describe('weighted queues', () => {
  it('smooth weighted round robin: each queue comes first in proportion to its weight, evenly spread', () => {
    const order = new QueueOrder(['a', 'b', 'c'], [3, 1, 2]);
    const firsts = Array.from({ length: 12 }, () => order.next()[0]).join('');
    assert.equal(firsts, 'acabcaacabca');
    assert.deepEqual(order.next(), ['a', 'c', 'b'], 'the rest follow by weight');
    assert.deepEqual(new QueueOrder(['x', 'y']).next(), ['x', 'y'], 'names alone: the strict order');
  });

  it('a busy heavy queue does not starve a light one', async () => {
    const storage = new MemoryStorage();
    const client = new JobClient({ storage, logger: silentLogger });
    const ran: string[] = [];
    const job = defineJob({ name: 'flow-weighted', run: (q: string) => void ran.push(q) });
    await client.enqueueMany(job, Array.from({ length: 60 }, () => 'busy'), { queue: 'busy' });
    await client.enqueueMany(job, Array.from({ length: 5 }, () => 'light'), { queue: 'light' });
    await start(storage, {
      jobs: [job],
      queues: [
        { name: 'busy', weight: 4 },
        { name: 'light', weight: 1 },
      ],
      workerCount: 1,
      prefetch: 0,
      pollInterval: 20,
    });
    await waitFor('all ran', () => ran.length === 65);
    // One claim in five puts the light queue first: its five jobs are done within the first 25.
    assert.ok(ran.lastIndexOf('light') < 25, `light jobs ran at ${ran.flatMap((q, i) => (q === 'light' ? [i] : [])).join(', ')}`);
  });
});
