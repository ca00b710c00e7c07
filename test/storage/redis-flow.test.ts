/**
 * Redis-specific flow-control cases the conformance suite cannot see: the limited jobs' group
 * index (`lg:<queue>`, `lgj:<queue>␁<group>`), whose entries a job leaves lazily, and job
 * records written before flow control existed.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { Redis } from 'ioredis';
import { MAX_RATE_WINDOW_MS } from '../../src/storage/contract/index.js';
import { T0, newJob } from '../../src/storage/conformance/index.js';
import { RedisStorage } from '../../src/storage/redis/index.js';
import { deleteKeys } from '../fixtures/redis-helpers.js';
import { serviceUrl } from '../support/services.js';

const url = serviceUrl('KILN_TEST_REDIS_URL');

if (url) {
  describe('redis: flow control internals', () => {
    let storage: RedisStorage;
    let admin: Redis;
    before(async () => {
      storage = new RedisStorage(url, { prefix: `kiln-t-${randomBytes(6).toString('hex')}:` });
      await storage.migrate();
      admin = new Redis(url);
    });
    after(async () => {
      await storage.close();
      await admin.quit();
      await deleteKeys(url, storage.keys.pattern);
    });
    const claim = (queue: string, now: number, max = 10) => storage.fetch({ queues: [queue], max, serverId: 's', leaseMs: 60_000, now });
    const groupMembers = async (queue: string) => {
      const groups = await admin.zrange(storage.keys.key(`lg:${queue}`), '0', '-1');
      const members = await Promise.all(groups.map((g) => admin.zrange(storage.keys.key(`lgj:${queue}\u0001${g}`), '0', '-1')));
      return members.flat();
    };

    it('a rate log expires the longest window after its last start: a key no longer used leaves nothing behind', async () => {
      await storage.createJobs([newJob({ queue: 'rl', rateLimit: { key: 'tenant-gone', max: 5, perMs: 1000 } })], { now: T0 });
      await storage.setQueueLimits('rlq', { concurrency: null, rate: { max: 5, perMs: 1000 } });
      await storage.createJobs([newJob({ queue: 'rlq' })], { now: T0 });
      assert.equal((await claim('rl', T0)).length, 1);
      assert.equal((await claim('rlq', T0)).length, 1);
      for (const log of [storage.keys.key('rs:tenant-gone'), storage.keys.key('rq:rlq')]) {
        assert.equal(await admin.zcard(log), 1, `${log} holds the start`);
        const ttl = await admin.pttl(log);
        assert.ok(ttl > MAX_RATE_WINDOW_MS - 60_000 && ttl <= MAX_RATE_WINDOW_MS, `${log} expires with the longest window (${ttl} ms)`);
      }
    });

    it("a concurrency key's number is dropped with its last processing job, and the key still holds its limit after", async () => {
      const jobs = Array.from({ length: 3 }, () => newJob({ queue: 'kn', concurrency: { key: 'tenant-x', limit: 1 } }));
      await storage.createJobs(jobs, { now: T0 });
      const numbered = async () => [await admin.hget(storage.keys.key('kids'), 'tenant-x'), await admin.hlen(storage.keys.key('knames'))];
      assert.deepEqual((await claim('kn', T0)).map((j) => j.id), [jobs[0]!.id]);
      const [first] = await numbered();
      assert.ok(first, 'a running key has a number');
      await storage.transition([{ id: jobs[0]!.id, expectStates: ['processing'], to: { name: 'succeeded', at: T0 + 1 } }], T0 + 1);
      assert.deepEqual(await numbered(), [null, 0], 'no running job: nothing left of the key');
      assert.deepEqual((await claim('kn', T0 + 1)).map((j) => j.id), [jobs[1]!.id]);
      const [second] = await numbered();
      assert.ok(second && second !== first, 'numbered again');
      assert.deepEqual(await claim('kn', T0 + 1), [], 'the limit of 1 holds under the new number');
      // A job that stays processing (its own transition to processing) keeps the key's number.
      await storage.transition([{ id: jobs[1]!.id, expectStates: ['processing'], to: { name: 'processing', at: T0 + 2 } }], T0 + 2);
      assert.deepEqual(await numbered(), [second, 1]);
      assert.deepEqual(await claim('kn', T0 + 2), [], 'still full');
      // Leave nothing waiting for the next cases, which share this keyspace.
      await storage.transition([{ id: jobs[2]!.id, expectStates: ['enqueued'], to: { name: 'deleted', at: T0 + 3 } }], T0 + 3);
      await storage.transition([{ id: jobs[1]!.id, expectStates: ['processing'], to: { name: 'succeeded', at: T0 + 3 } }], T0 + 3);
      assert.deepEqual(await numbered(), [null, 0]);
    });

    it('a limited job deleted while enqueued is never claimed, and the fetch that meets its entry drops it', async () => {
      const jobs = Array.from({ length: 3 }, () => newJob({ queue: 'del', concurrency: { key: 'x', limit: 1 } }));
      await storage.createJobs(jobs, { now: T0 });
      assert.deepEqual((await claim('del', T0)).map((j) => j.id), [jobs[0]!.id]);
      await storage.transition([{ id: jobs[1]!.id, expectStates: ['enqueued'], to: { name: 'deleted', at: T0 + 1 } }], T0 + 1);
      assert.deepEqual(await claim('del', T0 + 1), [], 'the key is still full');
      await storage.transition([{ id: jobs[0]!.id, expectStates: ['processing'], to: { name: 'succeeded', at: T0 + 2 } }], T0 + 2);
      assert.deepEqual((await claim('del', T0 + 2)).map((j) => j.id), [jobs[2]!.id]);
      assert.deepEqual(await groupMembers('del'), []);
      assert.equal((await storage.statistics()).states.enqueued, 0);
    });

    it('a debounced job whose limits changed is claimed under its new limits only', async () => {
      const debounced = (n: number, key: string, at: number) =>
        newJob({
          queue: 'deb',
          uniqueKey: 'd',
          uniqueMode: 'debounce',
          args: JSON.stringify({ n }),
          concurrency: { key, limit: 1 },
          state: { name: 'scheduled', at },
          runAt: at + 10,
          createdAt: at,
        });
      const [first] = await storage.createJobs([debounced(1, 'old', T0)], { now: T0 });
      assert.equal(await storage.enqueueDue(T0 + 10, 10), 1);
      // Back to scheduled under another key: its entry in the old key's group is stale now.
      assert.deepEqual(await storage.createJobs([debounced(2, 'new', T0 + 11)], { now: T0 + 11 }), [{ id: first!.id, created: false }]);
      const blocker = newJob({ queue: 'deb', concurrency: { key: 'new', limit: 1 } });
      await storage.createJobs([blocker], { now: T0 + 11 });
      assert.deepEqual((await claim('deb', T0 + 11)).map((j) => j.id), [blocker.id]);
      assert.equal(await storage.enqueueDue(T0 + 21, 10), 1);
      assert.deepEqual(await claim('deb', T0 + 21), [], "the key 'new' is full; the old group's entry does not let it through");
      const job = await storage.getJob(first!.id);
      assert.equal(job?.state, 'enqueued');
      assert.deepEqual(job?.concurrency, { key: 'new', limit: 1 });
      await storage.transition([{ id: blocker.id, expectStates: ['processing'], to: { name: 'succeeded', at: T0 + 22 } }], T0 + 22);
      const got = await claim('deb', T0 + 22);
      assert.deepEqual(
        got.map((j) => [j.id, j.args]),
        [[first!.id, '{"n":2}']],
      );
      assert.deepEqual(await groupMembers('deb'), []);
    });

    it('debounces in place a job whose record was written before flow control (args before createdAt)', async () => {
      const parent = newJob({ queue: 'old' });
      const job = newJob({
        queue: 'old',
        uniqueKey: 'legacy',
        args: '{"n":1,"s":"a,\\"args\\":x"}',
        state: { name: 'scheduled', at: T0 },
        runAt: T0 + 100,
        createdAt: T0 - 5,
      });
      await storage.createJobs([parent, job], { now: T0 });
      const legacy = JSON.stringify({ id: job.id, name: job.name, args: job.args, createdAt: job.createdAt, parentId: null, uniqueKey: 'legacy' });
      await admin.hset(storage.keys.key(`job:${job.id}`), 'j', legacy);
      const call = newJob({
        queue: 'old',
        uniqueKey: 'legacy',
        uniqueMode: 'debounce',
        args: '{"n":2}',
        priority: 3,
        rateLimit: { key: 'r', max: 5, perMs: 1000 },
        state: { name: 'scheduled', at: T0 + 1 },
        runAt: T0 + 50,
        createdAt: T0 + 1,
      });
      assert.deepEqual(await storage.createJobs([call], { now: T0 + 1 }), [{ id: job.id, created: false }]);
      const got = await storage.getJob(job.id);
      assert.equal(got?.args, '{"n":2}');
      assert.equal(got?.createdAt, T0 - 5);
      assert.equal(got?.uniqueKey, 'legacy');
      assert.equal(got?.parentId, null);
      assert.equal(got?.priority, 3);
      assert.deepEqual(got?.rateLimit, { key: 'r', max: 5, perMs: 1000 });
      assert.equal(got?.runAt, T0 + 50);
    });

    it('a higher priority set by a debounce moves the job ahead in its queue', async () => {
      const plain = [newJob({ queue: 'pri' }), newJob({ queue: 'pri' })];
      const late = newJob({ queue: 'pri', uniqueKey: 'p', state: { name: 'scheduled', at: T0 }, runAt: T0 + 1 });
      await storage.createJobs([...plain, late], { now: T0 });
      const call = newJob({ queue: 'pri', uniqueKey: 'p', uniqueMode: 'debounce', priority: 9, state: { name: 'scheduled', at: T0 + 1 }, runAt: T0 + 2 });
      await storage.createJobs([call], { now: T0 + 1 });
      assert.equal(await storage.enqueueDue(T0 + 2, 10), 1);
      assert.deepEqual(
        (await claim('pri', T0 + 2)).map((j) => [j.id, j.priority]),
        [
          [late.id, 9],
          [plain[0]!.id, 0],
          [plain[1]!.id, 0],
        ],
      );
    });
  });
}
