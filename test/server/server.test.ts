import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { BackgroundJobServer, JobClient, MemoryStorage, defineJob, silentLogger } from '../../src/index.js';
import { deferred, waitFor } from '../support/wait.js';

const fast = { pollInterval: 20, schedulePollingInterval: 20, heartbeatInterval: 50, serverCheckInterval: 50, logger: silentLogger } as const;

function setup(jobs: Parameters<typeof defineJob>[0][] = []) {
  const storage = new MemoryStorage();
  const client = new JobClient({ storage, logger: silentLogger });
  return { storage, client, jobs };
}

const servers: BackgroundJobServer[] = [];
after(async () => {
  await Promise.all(servers.map((s) => s.dispose()));
});
async function startServer(options: ConstructorParameters<typeof BackgroundJobServer>[0]) {
  const server = new BackgroundJobServer({ ...fast, ...options });
  servers.push(server);
  await server.start();
  return server;
}

describe('BackgroundJobServer', () => {
  it('runs an enqueued job with its arguments and stores its result and history', async () => {
    const { storage, client } = setup();
    const seen: unknown[] = [];
    const add = defineJob({
      name: 'srv-add',
      run: (args: { a: number; b: number }, ctx) => {
        seen.push({ args, attempt: ctx.attempt, queue: ctx.queue });
        return { sum: args.a + args.b };
      },
    });
    const server = await startServer({ storage, jobs: [add] });
    const id = await client.enqueue(add, { a: 2, b: 3 });
    const job = await waitFor('success', async () => {
      const j = await client.get(id);
      return j?.state === 'succeeded' ? j : undefined;
    });
    assert.deepEqual(seen, [{ args: { a: 2, b: 3 }, attempt: 1, queue: 'default' }]);
    assert.equal(job.result, '{"sum":5}');
    assert.deepEqual(
      job.history.map((h) => h.name),
      ['enqueued', 'processing', 'succeeded'],
    );
    assert.equal(job.history[1]!.data?.['serverId'], server.id);
    assert.ok(job.expireAt !== null && job.expireAt > Date.now() + 86_000_000, 'kept one day');
  });

  it('retries a failing job with the policy delays, then succeeds; history shows each failure', async () => {
    const { storage, client } = setup();
    let runs = 0;
    const flaky = defineJob({
      name: 'srv-flaky',
      retry: { attempts: 3, delays: [10] },
      run: (_: { x: number }, ctx) => {
        runs++;
        if (ctx.attempt < 3) throw new Error(`boom ${ctx.attempt}`);
        return 'ok';
      },
    });
    await startServer({ storage, jobs: [flaky] });
    const id = await client.enqueue(flaky, { x: 1 });
    const job = await waitFor('success after retries', async () => {
      const j = await client.get(id);
      return j?.state === 'succeeded' ? j : undefined;
    });
    assert.equal(runs, 3);
    assert.equal(job.attempt, 3);
    assert.equal(job.parameters['retryCount'], 2);
    assert.deepEqual(
      job.history.map((h) => h.name),
      ['enqueued', 'processing', 'failed', 'scheduled', 'enqueued', 'processing', 'failed', 'scheduled', 'enqueued', 'processing', 'succeeded'],
    );
    assert.equal(job.history[2]!.data?.['error'], 'boom 1');
    assert.match(job.history[3]!.reason ?? '', /Retry attempt 1 of 3/);
  });

  it('fails a job when its retries are exhausted, or deletes it when configured', async () => {
    const { storage, client } = setup();
    const failing = defineJob({ name: 'srv-failing', retry: { attempts: 1, delays: [5] }, run: () => { throw new TypeError('always'); } });
    const deleting = defineJob({ name: 'srv-deleting', retry: { attempts: 0, onAttemptsExceeded: 'delete' }, run: () => { throw new Error('nope'); } });
    await startServer({ storage, jobs: [failing, deleting] });
    const a = await client.enqueue(failing, undefined);
    const b = await client.enqueue(deleting, undefined);
    const fa = await waitFor('failed', async () => ((await client.get(a))?.state === 'failed' ? client.get(a) : undefined));
    assert.equal(fa?.attempt, 2);
    assert.equal(fa?.stateReason, 'TypeError: always');
    assert.equal(fa?.expireAt, null, 'failed jobs never expire');
    const db = await waitFor('deleted', async () => ((await client.get(b))?.state === 'deleted' ? client.get(b) : undefined));
    assert.match(db?.stateReason ?? '', /Retry attempts exceeded/);
    assert.deepEqual(db?.history.map((h) => h.name), ['enqueued', 'processing', 'failed', 'deleted']);
  });

  it('fails a job whose name no server knows, without retries; requeued, it runs once a server knows it', async () => {
    const { storage, client } = setup();
    const known = defineJob({ name: 'srv-later-known', run: () => 'ran' });
    const first = await startServer({ storage, jobs: [] });
    const id = await client.enqueue(known, undefined);
    const failed = await waitFor('unknown job failed', async () => {
      const j = await client.get(id);
      return j?.state === 'failed' ? j : undefined;
    });
    assert.match(failed.stateReason ?? '', /Unknown job 'srv-later-known'/);
    assert.equal(failed.attempt, 1, 'no retry for an unknown job');
    await first.dispose();
    await startServer({ storage, jobs: [known] });
    assert.equal(await client.requeue(id), true);
    await waitFor('requeued job succeeded', async () => (await client.get(id))?.state === 'succeeded');
  });

  it('runs a scheduled job when it is due, and takes queues in priority order', async () => {
    const { storage, client } = setup();
    const order: string[] = [];
    const gate = deferred();
    const rec = defineJob({ name: 'srv-rec', run: async (tag: string) => { await gate.promise; order.push(tag); } });
    await client.enqueue(rec, 'low-1', { queue: 'low' });
    await client.enqueue(rec, 'high-1', { queue: 'high' });
    await client.enqueue(rec, 'low-2', { queue: 'low' });
    await client.enqueue(rec, 'high-2', { queue: 'high' });
    // Created last, so that on a slow machine, where it may be due before the first fetch, it
    // still queues behind low-2 (FIFO by creation) and the order below holds.
    const id = await client.schedule(rec, 'later', { delay: 50 }, { queue: 'low' });
    assert.equal((await client.get(id))?.state, 'scheduled');
    await startServer({ storage, jobs: [rec], queues: ['high', 'low'], workerCount: 1 });
    gate.resolve();
    await waitFor('scheduled job ran', async () => (await client.get(id))?.state === 'succeeded');
    assert.deepEqual(order.slice(0, 4), ['high-1', 'high-2', 'low-1', 'low-2']);
    const j = await client.get(id);
    assert.deepEqual(j?.history.map((h) => h.name), ['scheduled', 'enqueued', 'processing', 'succeeded']);
  });

  it('deleting a running job aborts its signal at once', async () => {
    const { storage, client } = setup();
    const started = deferred();
    let abortedWith: unknown;
    const long = defineJob({
      name: 'srv-long',
      run: (_: null, ctx) =>
        new Promise<void>((_resolve, reject) => {
          started.resolve();
          ctx.signal.addEventListener('abort', () => {
            abortedWith = ctx.signal.reason;
            reject(ctx.signal.reason as Error);
          });
        }),
    });
    await startServer({ storage, jobs: [long], heartbeatInterval: 60_000, serverTimeout: 120_000, leaseTimeout: 120_000 });
    const id = await client.enqueue(long, null);
    await started.promise;
    assert.equal(await client.delete(id), true);
    await waitFor('signal aborted', () => abortedWith !== undefined);
    assert.match(String(abortedWith), /deleted or moved/);
    const j = await client.get(id);
    assert.equal(j?.state, 'deleted');
    assert.deepEqual(j?.history.map((h) => h.name), ['enqueued', 'processing', 'deleted']);
  });

  it('fails an attempt that runs past its timeout, aborting its signal', async () => {
    const { storage, client } = setup();
    const slow = defineJob({
      name: 'srv-slow',
      timeout: 30,
      retry: { attempts: 0 },
      run: (_: null, ctx) => new Promise((_r, reject) => ctx.signal.addEventListener('abort', () => reject(new Error('stopped')))),
    });
    await startServer({ storage, jobs: [slow] });
    const id = await client.enqueue(slow, null);
    const j = await waitFor('timed out', async () => ((await client.get(id))?.state === 'failed' ? client.get(id) : undefined));
    assert.match(j?.stateReason ?? '', /Timed out after 30 ms/);
  });

  it('stores ctx.progress() as the progress parameter while the job runs, and its last value', async () => {
    const { storage, client } = setup();
    const gate = deferred();
    const job = defineJob({
      name: 'srv-progress',
      run: async (_: null, ctx) => {
        ctx.progress(50);
        await gate.promise;
        for (let p = 60; p <= 100; p += 10) ctx.progress(p);
      },
    });
    await startServer({ storage, jobs: [job] });
    const id = await client.enqueue(job, null);
    await waitFor('progress 50 while running', async () => (await client.get(id))?.parameters['progress'] === 50);
    assert.equal((await client.get(id))?.state, 'processing');
    gate.resolve();
    const done = await waitFor('success', async () => ((await client.get(id))?.state === 'succeeded' ? client.get(id) : undefined));
    assert.equal(done?.parameters['progress'], 100, 'the last value is stored before the job ends');
  });
});
