import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { z } from 'zod';
import { BackgroundJobServer, JobClient, MemoryStorage, ValidationError, defineJob, silentLogger } from '../../src/index.js';

const email = defineJob({ name: 'bad-input-email', queue: 'mail', schema: z.object({ to: z.string().email(), count: z.number().int().optional() }), run: () => {} });
const loose = defineJob({ name: 'bad-input-loose', run: (_args: unknown) => {} });

async function rejectsNothingWritten(storage: MemoryStorage, call: () => Promise<unknown>, field: string | RegExp, message: RegExp) {
  await assert.rejects(call, (e: unknown) => {
    assert.ok(e instanceof ValidationError, `expected a ValidationError, got ${String(e)}`);
    if (typeof field === 'string') assert.equal(e.field, field);
    else assert.match(e.field, field);
    assert.match(e.message, message);
    return true;
  });
  const stats = await storage.statistics();
  assert.equal(Object.values(stats.states).reduce((a, b) => a + b, 0), 0, 'nothing written');
}

describe('bad input is refused with a clear error, and nothing is written', () => {
  const storage = new MemoryStorage();
  const client = new JobClient({ storage, logger: silentLogger });

  it('non-JSON arguments: function, BigInt, cycle, NaN, undefined in arrays, Date, Map', async () => {
    const cycle: Record<string, unknown> = { a: 1 };
    cycle['self'] = cycle;
    await rejectsNothingWritten(storage, () => client.enqueue(loose, { cb: () => 1 }), 'args.cb', /function is not JSON/);
    await rejectsNothingWritten(storage, () => client.enqueue(loose, { n: 10n }), 'args.n', /BigInt/);
    await rejectsNothingWritten(storage, () => client.enqueue(loose, cycle), 'args.self', /cycle/);
    await rejectsNothingWritten(storage, () => client.enqueue(loose, { x: [1, NaN] }), 'args.x[1]', /NaN is not JSON/);
    await rejectsNothingWritten(storage, () => client.enqueue(loose, [1, undefined]), 'args[1]', /undefined in an array/);
    await rejectsNothingWritten(storage, () => client.enqueue(loose, { when: new Date() }), 'args.when', /Date is not plain JSON.*toISOString/);
    await rejectsNothingWritten(storage, () => client.enqueue(loose, { m: new Map() }), 'args.m', /Map/);
  });

  it('schema failures name the failing field', async () => {
    await rejectsNothingWritten(storage, () => client.enqueue(email, { to: 'not-an-email' }), 'args.to', /email/i);
    // @ts-expect-error: the compiler refuses wrong arguments too
    await rejectsNothingWritten(storage, () => client.enqueue(email, { to: 'a@b.co', count: 'x' }), 'args.count', /number/i);
  });

  it('enqueueMany validates every item before writing any', async () => {
    await rejectsNothingWritten(storage, () => client.enqueueMany(email, [{ to: 'a@b.co' }, { to: 'bad' }]), 'argsList[1].to', /email/i);
  });

  it('invalid queue names', async () => {
    await rejectsNothingWritten(storage, () => client.enqueue(loose, {}, { queue: 'Has Spaces' }), 'options.queue', /lowercase/);
    await rejectsNothingWritten(storage, () => client.enqueue(loose, {}, { queue: '' }), 'options.queue', /lowercase/);
    assert.throws(() => defineJob({ name: 'bad-input-q', queue: 'UPPER', run: () => {} }), /queue: must be 1-100 lowercase/);
    assert.throws(() => new BackgroundJobServer({ storage, queues: ['ok', 'not ok'] }), /queues\[1\]/);
  });

  it('invalid dates and delays', async () => {
    await rejectsNothingWritten(storage, () => client.schedule(loose, {}, { at: new Date('nope') }), 'when.at', /valid Date/);
    await rejectsNothingWritten(storage, () => client.schedule(loose, {}, { delay: '10 parsecs' as '10m' }), 'when.delay', /'30s'/);
    await rejectsNothingWritten(storage, () => client.schedule(loose, {}, { delay: -5 }), 'when.delay', />= 0/);
    // @ts-expect-error: a schedule needs a time
    await rejectsNothingWritten(storage, () => client.schedule(loose, {}, {}), 'when', /delay/);
  });

  it('oversized arguments, bad unique keys, bad ids, not-a-job', async () => {
    await rejectsNothingWritten(storage, () => client.enqueue(loose, { blob: 'x'.repeat(600 * 1024) }), 'args', /over the limit/);
    await rejectsNothingWritten(storage, () => client.enqueue(loose, {}, { uniqueKey: '' }), 'options.uniqueKey', /1-500/);
    await rejectsNothingWritten(storage, () => client.enqueue(loose, {}, { uniqueFor: '1h' }), 'options.uniqueFor', /needs options.uniqueKey/);
    // @ts-expect-error: not a job definition
    await rejectsNothingWritten(storage, () => client.enqueue({ name: 'x' }, {}), 'job', /defineJob/);
    await assert.rejects(client.delete(''), /id: must be a job id/);
  });

  it('bad definitions and server options', () => {
    assert.throws(() => defineJob({ name: 'has spaces', run: () => {} }), /name: must be/);
    assert.throws(() => defineJob({ name: 'bad-input-retry', retry: { attempts: -1 }, run: () => {} }), /retry.attempts/);
    assert.throws(() => new BackgroundJobServer({ storage, workerCount: 0 }), /workerCount/);
    assert.throws(() => new BackgroundJobServer({ storage, heartbeatInterval: '1m', leaseTimeout: '30s' }), /heartbeatInterval/);
    assert.throws(() => new BackgroundJobServer({ storage, stopTimeout: 'soon' as '1s' }), /stopTimeout/);
  });
});
