/**
 * The Redis storage across connection loss: its connections killed by the server (CLIENT KILL),
 * and the server itself killed and started again (empty, so scripts must be loaded again).
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { Redis } from 'ioredis';
import { T0, newJob } from '../../src/storage/conformance/index.js';
import { silentLogger } from '../../src/logger.js';
import type { StorageEvent } from '../../src/storage/contract/index.js';
import { RedisStorage } from '../../src/storage/redis/index.js';
import {
  PrivateRedis,
  clientIdsNamed,
  deleteKeys,
  eventually,
  redisOptionsFromUrl,
  redisServerAvailable,
} from '../fixtures/redis-helpers.js';
import { serviceUrl } from '../support/services.js';

const url = serviceUrl('KILN_TEST_REDIS_URL');

/** Collects a storage's events and its logger's messages. */
function recorder() {
  const events: StorageEvent[] = [];
  const logs: string[] = [];
  return {
    events,
    logs,
    listener: (e: StorageEvent) => events.push(e),
    logger: {
      debug: (m: string) => logs.push(m),
      info: (m: string) => logs.push(m),
      warn: (m: string) => logs.push(m),
      error: (m: string) => logs.push(m),
    },
    saw: (pred: (e: StorageEvent) => boolean) => events.some(pred),
  };
}

const enqueuedIn = (queue: string) => (e: StorageEvent) => e.type === 'enqueued' && e.queue === queue;

if (url) {
  describe('redis: CLIENT KILL of the storage connections', () => {
    const prefix = `kiln-t-${randomBytes(6).toString('hex')}:`;
    const name = `kiln-kill-${randomBytes(4).toString('hex')}`;
    let admin: Redis;
    let storage: RedisStorage;
    let other: RedisStorage;
    const rec = recorder();

    before(async () => {
      admin = new Redis(url);
      storage = new RedisStorage({ ...redisOptionsFromUrl(url), connectionName: name }, { prefix, logger: rec.logger });
      other = new RedisStorage(url, { prefix });
      await storage.migrate();
    });
    after(async () => {
      await storage.close();
      await other.close();
      await deleteKeys(url, storage.keys.pattern);
      await admin.quit();
    });

    it('works again after its command and subscriber connections are killed', async () => {
      await storage.subscribe(rec.listener);
      await other.createJobs([newJob({ queue: 'before' })], { now: T0 });
      await eventually('the wake-up before the kill', () => rec.saw(enqueuedIn('before')));

      const ids = await clientIdsNamed(admin, name);
      assert.equal(ids.length, 2, 'one command connection and one subscriber');
      for (const id of ids) await admin.client('KILL', 'ID', id);

      // The next calls work: they wait in the offline queue for the reconnection.
      const created = await storage.createJobs([newJob({ queue: 'after' })], { now: T0 });
      assert.equal(created[0]?.created, true);
      const stats = await storage.statistics();
      assert.equal(stats.states.enqueued, 2);

      // The subscriber is back: first the catch-up wake-up, then real events again.
      await eventually('the catch-up wake-up after the reconnection', () => rec.saw(enqueuedIn('*')));
      await other.createJobs([newJob({ queue: 'resubscribed' })], { now: T0 });
      await eventually('a wake-up through the resubscribed connection', () => rec.saw(enqueuedIn('resubscribed')));
      const again = await clientIdsNamed(admin, name);
      assert.equal(again.length, 2);
      assert.deepEqual(
        again.filter((id) => ids.includes(id)),
        [],
        'both are new connections',
      );
    });
  });

  describe('redis: the server goes away and comes back', { skip: !redisServerAvailable() && 'no redis-server binary' }, () => {
    let server: PrivateRedis;
    let storage: RedisStorage;
    let other: RedisStorage;
    const rec = recorder();

    before(async () => {
      server = await PrivateRedis.start();
      storage = new RedisStorage(server.url, { logger: rec.logger });
      other = new RedisStorage(server.url, { logger: silentLogger });
      await storage.migrate();
    });
    after(async () => {
      await storage.close();
      await other.close();
      await server.kill();
    });

    it('rejects calls while Redis is down, logs instead of throwing, and recovers with its scripts', async () => {
      await storage.subscribe(rec.listener);
      await storage.createJobs([newJob({ queue: 'q' })], { now: T0 });
      await eventually('the first wake-up', () => rec.saw(enqueuedIn('q')));

      await server.kill();
      await assert.rejects(storage.statistics(), 'a call while Redis is down rejects');
      await assert.rejects(
        storage.fetch({ queues: ['q'], max: 1, serverId: 's', leaseMs: 1000, now: T0 }),
        'and so does the next one',
      );
      assert.ok(
        rec.logs.some((m) => /connection error/.test(m)),
        `the outage is logged (got ${JSON.stringify(rec.logs)})`,
      );

      await server.start();
      // A fresh server: no data and no scripts; EVALSHA's NOSCRIPT falls back to EVAL.
      const stats = await eventually('a successful call after the restart', () => storage.statistics(), 30_000);
      assert.equal(stats.states.enqueued, 0);
      const [created] = await storage.createJobs([newJob({ queue: 'q2' })], { now: T0 });
      assert.equal(created?.created, true);
      const got = await storage.fetch({ queues: ['q2'], max: 5, serverId: 's', leaseMs: 1000, now: T0 });
      assert.equal(got.length, 1);

      await eventually('the catch-up wake-up', () => rec.saw(enqueuedIn('*')), 30_000);
      await eventually(
        'a wake-up from another connection after the restart',
        async () => {
          // `other` may still be waiting out its own back-off; retry until its call lands.
          await other.createJobs([newJob({ queue: 'q3' })], { now: T0 });
          return true;
        },
        30_000,
      );
      await eventually('the q3 wake-up', () => rec.saw(enqueuedIn('q3')));
      assert.ok(rec.logs.some((m) => /restored/.test(m)));
    });
  });

  describe('redis: a client passed in', () => {
    it('is used as is and left open by close()', async () => {
      const client = new Redis(url);
      const storage = new RedisStorage(client, { prefix: `kiln-t-${randomBytes(6).toString('hex')}:` });
      try {
        await storage.migrate();
        const rec = recorder();
        await storage.subscribe(rec.listener);
        await storage.createJobs([newJob({ queue: 'mine' })], { now: T0 });
        await eventually('a wake-up', () => rec.saw(enqueuedIn('mine')));
        await storage.close();
        assert.equal(await client.ping(), 'PONG');
      } finally {
        await deleteKeys(url, storage.keys.pattern);
        await client.quit();
      }
    });
  });
}

if (url) {
  describe('redis: a liveness mark and job events across lost connections', { skip: !redisServerAvailable() && 'no redis-server binary' }, () => {
    let server: PrivateRedis;
    let storage: RedisStorage;
    let checker: RedisStorage;
    let admin: Redis;
    const rec = recorder();

    before(async () => {
      server = await PrivateRedis.start();
      storage = new RedisStorage(server.url, { logger: rec.logger });
      checker = new RedisStorage(server.url, { logger: silentLogger });
      admin = new Redis(server.url);
      admin.on('error', () => {});
      await storage.migrate();
    });
    after(async () => {
      await storage.close();
      await checker.close();
      admin.disconnect();
      await server.kill();
    });

    /** Ids of the clients named `name`, or subscribed to something when `subscribed`. */
    const clients = async (name: string, subscribed = false) =>
      String(await admin.client('LIST'))
        .split('\n')
        .filter((l) => l.split(' ').includes(`name=${name}`) && (!subscribed || !l.includes(' sub=0 ')))
        .map((l) => /(?:^| )id=(\d+)/.exec(l)?.[1] ?? '')
        .filter((id) => id !== '');

    it('takes the mark again (mark first, then a new record) and reports the lost job events as a gap', async () => {
      const hold = await storage.holdLiveness('A');
      assert.ok(hold && hold.heldSince !== null);
      const first = hold.heldSince;
      const marks = storage.keys.key('marks');
      const token = await admin.hget(marks, 'A');
      assert.ok(token);
      let gaps = 0;
      const heard: string[] = [];
      await storage.subscribeJobEvents((e) => heard.push(`${e.type} ${e.jobId}`), () => gaps++);

      // The mark's connection killed: the hold is not held, then takes the mark again by itself.
      const alive = await clients('kiln-alive');
      assert.equal(alive.length, 1);
      await admin.client('KILL', 'ID', alive[0]!);
      await eventually('the mark taken again', async () => hold.heldSince !== null && hold.heldSince > first! && (await admin.hget(marks, 'A')) !== token);
      assert.deepEqual(await checker.removeVanishedServers(T0, 'checker'), [], 'held again');

      // The subscriber's connection killed: a gap, then events again.
      const subscribers = await clients('kiln', true);
      assert.equal(subscribers.length, 1);
      await admin.client('KILL', 'ID', subscribers[0]!);
      await eventually('the gap', () => gaps === 1);
      const job = newJob();
      await checker.createJobs([job], { now: T0 });
      await eventually('an event after the gap', () => heard.includes(`enqueued ${job.id}`));

      // Redis restarted empty: the mark and its record come back, and so does the announcement.
      await server.kill();
      await server.start();
      await eventually('the mark and its record back after the restart', async () => hold.heldSince !== null && (await admin.hget(marks, 'A')) !== null, 30_000);
      await eventually('a second gap', () => gaps === 2, 30_000);
      const after = newJob();
      await eventually('the job created after the restart', async () => (await checker.createJobs([after], { now: T0 }), true), 30_000);
      await eventually('its event: the announcement was made again at once', () => heard.includes(`enqueued ${after.id}`));
      await hold.release();
      assert.equal(await admin.hget(marks, 'A'), null);
    });
  });
}
