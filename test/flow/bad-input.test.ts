import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { BackgroundJobServer, JobClient, MemoryStorage, ValidationError, defineJob, silentLogger } from '../../src/index.js';

/** Asserts `call` throws (or rejects with) a ValidationError naming `field`. */
async function refused(call: () => unknown, field: string, message?: RegExp): Promise<void> {
  await assert.rejects(
    async () => call(),
    (e: unknown) => {
      assert.ok(e instanceof ValidationError, `expected a ValidationError, got ${String(e)}`);
      assert.equal(e.field, field);
      if (message) assert.match(e.message, message);
      return true;
    },
  );
}

async function jobsIn(storage: MemoryStorage): Promise<number> {
  const stats = await storage.statistics();
  return Object.values(stats.states).reduce((a, b) => a + b, 0);
}

describe('flow control: every knob is validated where it is given, naming the field', () => {
  it('defineJob refuses bad priorities, concurrency and rate limits', async () => {
    const run = () => {};
    let n = 0;
    const name = () => `flow-bad-def-${n++}`;
    for (const priority of [1.5, 101, -101, '1', Number.NaN]) {
      await refused(() => defineJob({ name: name(), priority: priority as number, run }), 'priority', /-100 to 100/);
    }
    await refused(() => defineJob({ name: name(), concurrency: { limit: 0 }, run }), 'concurrency.limit', /1 to 100000/);
    await refused(() => defineJob({ name: name(), concurrency: { limit: 2.5 }, run }), 'concurrency.limit');
    await refused(() => defineJob({ name: name(), concurrency: { limit: 1e9 }, run }), 'concurrency.limit');
    await refused(() => defineJob({ name: name(), concurrency: 3 as never, run }), 'concurrency');
    await refused(() => defineJob({ name: name(), concurrency: { limit: 1, key: 'tenant' as never }, run }), 'concurrency.key', /function/);
    await refused(() => defineJob({ name: name(), rateLimit: { max: 0, per: '1s' }, run }), 'rateLimit.max');
    await refused(() => defineJob({ name: name(), rateLimit: { max: 10, per: '0s' }, run }), 'rateLimit.per', /at least 1/);
    await refused(() => defineJob({ name: name(), rateLimit: { max: 10, per: '2d' }, run }), 'rateLimit.per', /at most 86400000/);
    await refused(() => defineJob({ name: name(), rateLimit: { max: 10, per: 'soon' as never }, run }), 'rateLimit.per');
  });

  it('enqueue refuses bad options and key functions that fail, and writes nothing', async () => {
    const storage = new MemoryStorage();
    const client = new JobClient({ storage, logger: silentLogger });
    const plain = defineJob({ name: 'flow-bad-plain', run: (_: { t: string }) => {} });
    const keyed = (name: string, key: (a: { t: string }) => string) => defineJob({ name, concurrency: { limit: 1, key }, run: (_: { t: string }) => {} });
    const args = { t: 'x' };
    await refused(() => client.enqueue(plain, args, { priority: 100.5 }), 'options.priority');
    await refused(() => client.enqueue(plain, args, { priority: 1000 }), 'options.priority');
    await refused(() => client.enqueue(plain, args, { debounce: '1s' }), 'options.debounce', /uniqueKey/);
    await refused(() => client.enqueue(plain, args, { throttle: '1s' }), 'options.throttle', /uniqueKey/);
    await refused(() => client.enqueue(plain, args, { uniqueKey: 'k', debounce: '1s', throttle: '1s' }), 'options.debounce', /not both/);
    await refused(() => client.enqueue(plain, args, { uniqueKey: 'k', throttle: '1s', uniqueFor: '1s' }), 'options.uniqueFor');
    await refused(() => client.enqueue(plain, args, { uniqueKey: 'k', debounce: -1 }), 'options.debounce');
    await refused(() => client.schedule(plain, args, { delay: '1s' }, { uniqueKey: 'k', debounce: '1s' }), 'options.debounce', /for enqueue/);
    await refused(() => client.enqueueMany(plain, [args], { debounce: '1s' } as never), 'options.debounce');
    await refused(() => client.enqueueMany(plain, [args], { priority: 200 }), 'options.priority');
    await refused(() => client.enqueue(keyed('flow-bad-empty', () => ''), args), "concurrency.key (returned by the key function of job 'flow-bad-empty')");
    await refused(() => client.enqueue(keyed('flow-bad-control', () => 'a\u0000b'), args), "concurrency.key (returned by the key function of job 'flow-bad-control')", /control/);
    await refused(() => client.enqueue(keyed('flow-bad-number', () => 42 as never), args), "concurrency.key (returned by the key function of job 'flow-bad-number')");
    await refused(
      () =>
        client.enqueue(
          keyed('flow-bad-throws', () => {
            throw Symbol('odd');
          }),
          args,
        ),
      'concurrency.key',
      /threw: Symbol\(odd\)/,
    );
    const rated = defineJob({ name: 'flow-bad-rated', rateLimit: { max: 1, per: '1s', key: (a: { t: string }) => a.t.repeat(600) }, run: () => {} });
    await refused(() => client.enqueue(rated, args), "rateLimit.key (returned by the key function of job 'flow-bad-rated')", /1-500/);
    // enqueueMany checks every job before writing any.
    const half = keyed('flow-bad-half', (a) => (a.t === 'bad' ? '' : a.t));
    await refused(() => client.enqueueMany(half, [{ t: 'ok' }, { t: 'bad' }]), "concurrency.key (returned by the key function of job 'flow-bad-half')");
    assert.equal(await jobsIn(storage), 0, 'nothing written');
  });

  it('client.queues and the server refuse bad queue names, limits and weights', async () => {
    const storage = new MemoryStorage();
    const client = new JobClient({ storage, logger: silentLogger });
    await refused(() => client.queues.pause('Mail!'), 'name');
    await refused(() => client.queues.resume(''), 'name');
    await refused(() => client.queues.setLimits('mail', { concurrency: 0 }), 'limits.concurrency');
    await refused(() => client.queues.setLimits('mail', { rate: { max: 1.5, per: '1s' } }), 'limits.rate.max');
    await refused(() => client.queues.setLimits('mail', { rate: { max: 10, per: '3d' } }), 'limits.rate.per');
    await refused(() => client.queues.setLimits('mail', null as never), 'limits');
    assert.deepEqual(await client.queues.list(), [], 'no settings written');
    const options = (queues: unknown) => () => new BackgroundJobServer({ storage, logger: silentLogger, queues: queues as string[] });
    await refused(options([{ name: 'a', weight: 0 }]), 'queues[0].weight');
    await refused(options([{ name: 'a', weight: 1.5 }]), 'queues[0].weight');
    await refused(options([{ name: 'a', weight: 1 }, 'b']), 'queues[1]', /one kind/);
    await refused(options([{ name: 'A', weight: 1 }]), 'queues[0].name');
    await refused(options([{ name: 'a', weight: 1 }, { name: 'a', weight: 2 }]), 'queues', /twice/);
  });
});
