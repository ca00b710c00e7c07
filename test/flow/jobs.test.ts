import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { BackgroundJobServer, JobClient, defineJob, silentLogger, type Storage } from '../../src/index.js';
import { storageTargets } from '../fixtures/storage-targets.js';
import { deferred, waitFor } from '../support/wait.js';

const opened: Array<() => Promise<void>> = [];
const servers: BackgroundJobServer[] = [];
after(async () => {
  await Promise.all(servers.map((s) => s.dispose()));
  for (const destroy of opened) await destroy();
});

async function start(storage: Storage, options: ConstructorParameters<typeof BackgroundJobServer>[0]): Promise<BackgroundJobServer> {
  const server = new BackgroundJobServer({ storage, logger: silentLogger, schedulePollingInterval: 20, ...options });
  servers.push(server);
  await server.start();
  return server;
}

/** Counts the calls a storage gets to the named methods. */
function counting(storage: Storage, ...methods: Array<'fetch' | 'nextRateSlot'>): Record<string, number> {
  const calls: Record<string, number> = {};
  for (const m of methods) {
    calls[m] = 0;
    const original = (storage[m] as (...a: unknown[]) => unknown).bind(storage);
    (storage as unknown as Record<string, unknown>)[m] = (...a: unknown[]) => (calls[m]!++, original(...a));
  }
  return calls;
}

for (const target of storageTargets('memory', 'sqlite')) {
  describe(`${target.name}: flow control in the engine`, () => {
    it('runs jobs by priority (enqueue option over the definition default), FIFO among equals', async () => {
      const { storage, destroy } = await target.open();
      opened.push(destroy);
      const client = new JobClient({ storage, logger: silentLogger });
      const order: string[] = [];
      const gate = deferred();
      const job = defineJob({
        name: `flow-priority-${target.name}`,
        priority: 5,
        run: async (tag: string) => {
          await gate.promise;
          order.push(tag);
        },
      });
      await client.enqueue(job, 'first-5');
      await client.enqueue(job, 'low', { priority: -10 });
      await client.enqueue(job, 'urgent', { priority: 100 });
      await client.enqueueMany(job, ['many-1', 'many-2'], { priority: 50 });
      await client.enqueue(job, 'second-5');
      assert.equal((await client.get(await client.enqueue(job, 'zero', { priority: 0 })))?.priority, 0);
      await start(storage, { jobs: [job], workerCount: 1, prefetch: 0 });
      gate.resolve();
      await waitFor('all ran', () => order.length === 7);
      assert.deepEqual(order, ['urgent', 'many-1', 'many-2', 'first-5', 'second-5', 'zero', 'low']);
    });

    it('debounce runs one job with the last args, one delay after the last call; throttle runs the first of a window', async () => {
      const { storage, destroy } = await target.open();
      opened.push(destroy);
      const client = new JobClient({ storage, logger: silentLogger });
      const runs: string[] = [];
      const job = defineJob({ name: `flow-debounce-${target.name}`, run: (tag: string) => void runs.push(tag) });
      await start(storage, { jobs: [job], pollInterval: 20 });
      const debounced = await Promise.all(['d1', 'd2', 'd3'].map(async (t) => client.enqueue(job, t, { uniqueKey: 'rebuild', debounce: '300ms' })));
      const last = await client.enqueue(job, 'd4', { uniqueKey: 'rebuild', debounce: '300ms' });
      assert.equal(new Set([...debounced, last]).size, 1, 'one job for the whole burst');
      const waiting = await client.get(last);
      assert.equal(waiting?.state, 'scheduled');
      assert.equal(waiting?.args, '"d4"');
      const throttled: string[] = [];
      for (const t of ['t1', 't2', 't3']) throttled.push(await client.enqueue(job, t, { uniqueKey: 'sync', throttle: '1h' }));
      assert.equal(new Set(throttled).size, 1);
      await waitFor('both ran', async () => (await client.get(last))?.state === 'succeeded' && (await client.get(throttled[0]!))?.state === 'succeeded');
      // Finished, the throttled job still holds its window.
      assert.equal(await client.enqueue(job, 't4', { uniqueKey: 'sync', throttle: '1h' }), throttled[0]);
      assert.deepEqual(runs.sort(), ['d4', 't1']);
      const again = await client.enqueue(job, 'd5', { uniqueKey: 'rebuild', debounce: '10ms' });
      assert.notEqual(again, last, 'after it started, a call makes a new job');
      await waitFor('the next one ran', async () => (await client.get(again))?.state === 'succeeded');
    });

    it('a rate limit holds across windows, and the pool wakes by a timer for the next slot, not by polling', async () => {
      const { storage, destroy } = await target.open();
      opened.push(destroy);
      const calls = counting(storage, 'fetch', 'nextRateSlot');
      const client = new JobClient({ storage, logger: silentLogger });
      const job = defineJob({ name: `flow-rate-${target.name}`, rateLimit: { max: 5, per: '250ms' }, run: () => {} });
      const ids = await client.enqueueMany(job, Array.from({ length: 20 }, () => undefined));
      // A poll of a minute: only the rate timer can start the later windows within the test.
      await start(storage, { jobs: [job], workerCount: 10, pollInterval: 60_000 });
      await waitFor('all ran', async () => (await storage.statistics()).states.succeeded === 20);
      const starts: number[] = [];
      for (const id of ids) starts.push((await storage.getJob(id))!.history.find((h) => h.name === 'processing')!.at);
      starts.sort((a, b) => a - b);
      for (let i = 0; i + 5 < starts.length; i++) assert.ok(starts[i + 5]! - starts[i]! >= 250, `six starts within one window: ${starts.join(', ')}`);
      assert.ok(calls['nextRateSlot']! >= 3, `asked when the windows reopen (${calls['nextRateSlot']} times)`);
      // Four windows: a claim when each opens and the first one's; waking on each finished job
      // would have made 20, polling hundreds.
      assert.ok(calls['fetch']! <= 10, `${calls['fetch']} claims for 4 windows`);
    });
  });
}
