import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  BackgroundJobServer,
  JobClient,
  ValidationError,
  defineJob,
  latencyTimeout,
  silentLogger,
  type Json,
  type Storage,
} from '../../src/index.js';
import { storageTargets } from '../fixtures/storage-targets.js';

const loose = defineJob({ name: 'hostile-values-loose', run: (_args: unknown) => {} });

/** Args nested `depth` levels deep, built without recursion. */
function nested(depth: number): Json {
  let value: Json = 'bottom';
  for (let i = 0; i < depth; i++) value = i % 2 === 0 ? [value] : { next: value };
  return value;
}

/** Everything stored: jobs in every state, and recurring jobs. */
async function stored(storage: Storage): Promise<number> {
  const stats = await storage.statistics();
  return Object.values(stats.states).reduce((a, b) => a + b, 0) + (await storage.listRecurring()).length;
}

function expectValidation(field: string | RegExp, message?: RegExp) {
  return (e: unknown) => {
    assert.ok(e instanceof ValidationError, `expected a ValidationError, got ${String(e)}`);
    if (typeof field === 'string') assert.equal(e.field, field);
    else assert.match(e.field, field);
    if (message) assert.match(e.message, message);
    return true;
  };
}

for (const target of storageTargets('memory', 'sqlite')) {
  describe(`hostile values are refused with the field named, and nothing is written: ${target.name}`, () => {
    let storage: Storage;
    let client: JobClient;
    let destroy: () => Promise<void>;
    before(async () => {
      ({ storage, destroy } = await target.open());
      client = new JobClient({ storage, logger: silentLogger });
      await client.ready();
    });
    after(() => destroy());

    async function refused(call: () => Promise<unknown>, field: string | RegExp, message?: RegExp) {
      const before = await stored(storage);
      await assert.rejects(call, expectValidation(field, message));
      assert.equal(await stored(storage), before, 'nothing written');
    }

    it('times outside the range of a Date, and delays or lifetimes that lead past it', async () => {
      await refused(() => client.schedule(loose, {}, { at: 8.64e15 + 1 }), 'when.at', /range of a Date/);
      await refused(() => client.schedule(loose, {}, { at: 1e300 }), 'when.at', /range of a Date/);
      await refused(() => client.schedule(loose, {}, { at: -1e300 }), 'when.at');
      await refused(() => client.schedule(loose, {}, { at: new Date(8.64e15 + 1) }), 'when.at', /valid Date/);
      await refused(() => client.schedule(loose, {}, { delay: 1e300 }), 'when.delay', /at most/);
      await refused(() => client.schedule(loose, {}, { delay: '99999999999999999d' }), 'when.delay', /at most/);
      await refused(() => client.enqueue(loose, {}, { uniqueKey: 'k', uniqueFor: 1e300 }), 'options.uniqueFor', /at most/);
      const id = await client.enqueue(loose, {});
      await assert.rejects(client.reschedule(id, { at: 1e300 }), expectValidation('when.at'));
      assert.equal((await client.get(id))?.state, 'enqueued');
    });

    it('a fractional time or delay is rounded to the millisecond, as a Date does', async () => {
      const at = await client.schedule(loose, {}, { at: 1.5 });
      assert.equal((await client.get(at))?.runAt, 2);
      const delayed = await client.schedule(loose, {}, { delay: 1000.4 });
      const job = await client.get(delayed);
      assert.ok(Number.isInteger(job?.runAt), String(job?.runAt));
    });

    it('arguments nested 3,000+ deep: a ValidationError, not a stack overflow', async () => {
      await refused(() => client.enqueue(loose, nested(3_000)), /^args(\.next|\[0\])+$/, /nested more than 500 levels/);
      await refused(() => client.enqueue(loose, nested(100_000)), /^args/, /nested more than 500 levels/);
      await refused(() => client.enqueueMany(loose, [{}, nested(5_000)]), /^argsList\[1\]/, /nested/);
      await refused(() => client.enqueue(loose, {}, { parameters: { deep: nested(3_000) } }), /^options\.parameters\.deep/, /nested/);
      const id = await client.enqueue(loose, nested(400));
      assert.ok(id, 'data 400 levels deep is still fine');
    });

    it('parameters over the size limit, wherever a caller can pass them', async () => {
      const big = { blob: 'x'.repeat(5 * 1024 * 1024) };
      await refused(() => client.enqueue(loose, {}, { parameters: big }), 'options.parameters', /over the limit of 524288/);
      await refused(() => client.schedule(loose, {}, { delay: 10 }, { parameters: big }), 'options.parameters', /over the limit/);
      await refused(() => client.enqueueMany(loose, [{}], { parameters: big }), 'options.parameters', /over the limit/);
      const parent = await client.enqueue(loose, {});
      await refused(() => client.continueWith(parent, loose, {}, { parameters: big }), 'options.parameters', /over the limit/);
      const filtered = new JobClient({
        storage,
        logger: silentLogger,
        filters: [{ onCreating: (ctx) => void (ctx.parameters['blob'] = 'y'.repeat(600 * 1024)) }],
      });
      await refused(() => filtered.enqueue(loose, {}), 'parameters (set by a filter)', /over the limit/);
    });

    it('unique keys with control characters or lone surrogates', async () => {
      for (const [key, code] of [
        ['a\u0000b', '0000'],
        ['a\u001eb', '001E'],
        ['a\u001fb', '001F'],
        ['line\nbreak', '000A'],
        ['del\u007f', '007F'],
        ['c1\u0085', '0085'],
        ['half \ud800', 'D800'],
      ] as const) {
        await refused(() => client.enqueue(loose, {}, { uniqueKey: key }), 'options.uniqueKey', new RegExp(`U\\+${code}`));
      }
      assert.ok(await client.enqueue(loose, {}, { uniqueKey: 'ok: émoji 🎉 and spaces' }));
    });

    it('a cron that can never fire is refused at addOrUpdate', async () => {
      await refused(() => client.recurring.addOrUpdate('never', loose, {}, { cron: '0 0 30 2 *' }), 'options.cron', /never fires/);
      await refused(() => client.recurring.addOrUpdate('never', loose, {}, { cron: '0 0 31 4 *', timeZone: 'Europe/Paris' }), 'options.cron', /never fires/);
    });

    it('durations that drive a timer past 2³¹−1 ms, and absurd policies, at definition and server construction', () => {
      const timer = /2³¹−1/;
      assert.throws(() => defineJob({ name: 'hv-timeout', timeout: 3e9, run: () => {} }), expectValidation('timeout', timer));
      assert.throws(() => defineJob({ name: 'hv-timeout0', timeout: 0, run: () => {} }), expectValidation('timeout', /at least 1/));
      assert.throws(() => defineJob({ name: 'hv-delays', retry: { delays: [10, 1e300] }, run: () => {} }), expectValidation('retry.delays[1]', /at most/));
      assert.throws(() => latencyTimeout(1e300), expectValidation('timeout', /at most/));
      for (const field of [
        'pollInterval',
        'shutdownTimeout',
        'stopTimeout',
        'leaseTimeout',
        'heartbeatInterval',
        'serverTimeout',
        'serverCheckInterval',
        'schedulePollingInterval',
        'expirationCheckInterval',
      ] as const) {
        assert.throws(() => new BackgroundJobServer({ storage, [field]: 3e9 }), expectValidation(field, timer), field);
      }
      assert.throws(() => new BackgroundJobServer({ storage, retention: { succeeded: 1e300 } }), expectValidation('retention.succeeded', /at most/));
      assert.throws(() => new BackgroundJobServer({ storage, maxInterruptions: -1 }), expectValidation('maxInterruptions'));
      assert.throws(() => new BackgroundJobServer({ storage, maxInterruptions: 1.5 }), expectValidation('maxInterruptions'));
      assert.throws(() => new JobClient({ storage, retention: { deleted: Infinity } }), expectValidation('retention.deleted'));
    });
  });
}
