/**
 * Redis builds job events in Lua (src/storage/redis/lua/job-event-library.ts). This holds them to
 * the TypeScript builders byte for byte: the same writes run on a MemoryStorage (whose events come
 * from src/storage/job-events.ts, encoded here by encodeJobEvent) and on a RedisStorage (whose
 * messages are read raw from its channel), with texts that need escaping, cutting at a surrogate
 * pair, values at and over the size bound, and long server ids.
 */
import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { describe, it } from 'node:test';
import { Redis } from 'ioredis';
import { T0, newJob } from '../../src/storage/conformance/index.js';
import type { JobEvent, Storage, TransitionChange } from '../../src/storage/contract/index.js';
import { MAX_EVENT_VALUE_BYTES } from '../../src/storage/contract/index.js';
import { encodeJobEvent } from '../../src/storage/job-event-wire.js';
import { MemoryStorage } from '../../src/storage/memory/index.js';
import { RedisStorage } from '../../src/storage/redis/index.js';
import { deleteKeys, eventually } from '../fixtures/redis-helpers.js';
import { serviceUrl } from '../support/services.js';

const url = serviceUrl('KILN_TEST_REDIS_URL');

/** Texts JSON.stringify escapes, a cut that splits a surrogate pair, and non-ASCII of every width. */
const awkward = 'a "quoted" \\ back/slash\ttab\nline\u0001\u001f\u007f é € 😀 ';
const cutInPair = `${'x'.repeat(398)}😀 and more`;
const longReason = `${'é'.repeat(300)}${'€'.repeat(300)}`;

async function writes(s: Storage, ids: string[]): Promise<void> {
  const [a, b, c, d, e] = ids as [string, string, string, string, string];
  const base = { name: 'Ünïcode "job" 😀', queue: 'q-1', args: '{}', createdAt: T0, parameters: {} };
  await s.createJobs(
    [
      newJob({ ...base, id: a, state: { name: 'enqueued', reason: awkward, at: T0 } }),
      newJob({ ...base, id: b, state: { name: 'enqueued', reason: cutInPair, at: T0 } }),
      newJob({ ...base, id: c, state: { name: 'enqueued', at: T0 } }),
      newJob({ ...base, id: d, state: { name: 'enqueued', reason: longReason, at: T0 } }),
      newJob({ ...base, id: e, state: { name: 'scheduled', at: T0 }, runAt: T0 + 5 }),
    ],
    { now: T0 },
  );
  const server = `server-${'é'.repeat(120)}`;
  await s.fetch({ queues: ['q-1'], max: 4, serverId: server, leaseMs: 60_000, now: T0 + 1 });
  await s.mergeParameters(a, server, { progress: { step: awkward, n: [1, 2.5, -3e-7] } }, T0 + 2);
  await s.mergeParameters(b, server, { progress: 'y'.repeat(MAX_EVENT_VALUE_BYTES - 2) }, T0 + 2);
  await s.mergeParameters(c, server, { progress: 'y'.repeat(MAX_EVENT_VALUE_BYTES - 1) }, T0 + 2);
  const done = (id: string, extra: Partial<TransitionChange>): TransitionChange => ({
    id,
    expectStates: ['processing'],
    expectServerId: server,
    to: { name: 'succeeded', at: T0 + 3 },
    ...extra,
  });
  await s.transition(
    [
      done(a, { result: JSON.stringify({ sent: awkward, list: [], n: 0.1 }) }),
      done(b, { result: JSON.stringify('z'.repeat(MAX_EVENT_VALUE_BYTES - 2)) }),
      done(c, {
        passedThrough: [{ name: 'failed', reason: cutInPair, data: { error: awkward, type: `Type${'😀'.repeat(60)}` }, at: T0 + 3 }],
        to: { name: 'scheduled', reason: 'Retry attempt 1 of 3', at: T0 + 3 },
        runAt: T0 + 100,
        attempt: 2,
      }),
      done(d, { to: { name: 'failed', reason: null as unknown as undefined, data: { type: 42 }, at: T0 + 4 } }),
    ],
    T0 + 3,
  );
  await s.transition([{ id: c, expectStates: ['scheduled'], to: { name: 'deleted', reason: longReason, at: T0 + 5 } }], T0 + 5);
  await s.transition([{ id: d, expectStates: ['failed'], to: { name: 'enqueued', reason: 'Requeued', at: T0 + 6 }, queue: 'other', attempt: 1 }], T0 + 6);
  await s.enqueueDue(T0 + 10, 10);
  await s.fetch({ queues: ['q-1', 'other'], max: 10, serverId: 'S2', leaseMs: 10, now: T0 + 11 });
  await s.releaseExpiredLeases(T0 + 30, 10);
  await s.fetch({ queues: ['q-1', 'other'], max: 10, serverId: 'S3', leaseMs: 60_000, now: T0 + 31 });
  await s.removeServer('S3', T0 + 40);
}

if (url) {
  describe('redis: job events on the wire', () => {
    it('are byte for byte what encodeJobEvent makes of the TypeScript builders', async () => {
      const prefix = `kiln-t-${randomBytes(6).toString('hex')}:`;
      const redis = new RedisStorage(url, { prefix });
      const memory = new MemoryStorage();
      const raw = new Redis(url);
      try {
        await redis.migrate();
        const fromRedis: string[] = [];
        await raw.subscribe(redis.keys.jobEventChannel);
        raw.on('message', (_channel: string, message: string) => fromRedis.push(...message.split('\n')));
        const fromMemory: JobEvent[] = [];
        const heard: JobEvent[] = [];
        const stopRedis = await redis.subscribeJobEvents((e) => heard.push(e));
        const stopMemory = await memory.subscribeJobEvents((e) => fromMemory.push(e));
        const ids = Array.from({ length: 5 }, () => randomUUID());
        await writes(memory, ids);
        await writes(redis, ids);
        await eventually('every event', () => fromMemory.length > 0 && fromRedis.length >= fromMemory.length && heard.length >= fromMemory.length);
        assert.equal(fromMemory.length, 27);
        const expected = fromMemory.map(encodeJobEvent);
        // In the order of the writes; within one sweep (the last 6: two leases released, two
        // claims, a server's two jobs requeued) the backends may order jobs differently.
        assert.deepEqual(fromRedis.slice(0, 21), expected.slice(0, 21));
        assert.deepEqual(fromRedis.slice(21).sort(), expected.slice(21).sort());
        assert.deepEqual(heard.map(encodeJobEvent), fromRedis);
        await stopRedis();
        await stopMemory();
      } finally {
        raw.disconnect();
        await redis.close();
        await memory.close();
        await deleteKeys(url, `{${prefix.slice(0, -1)}}:*`);
      }
    });
  });
}
