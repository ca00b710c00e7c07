/**
 * RedisStorage against the reference backend: seeded random sequences of every contract operation
 * run on a MemoryStorage and a RedisStorage side by side, and every answer must be the same.
 * Where the contract text is silent the reference's behaviour is the specification; this finds
 * the places the conformance cases do not look at.
 *
 * The generator avoids the two places where the backends may legitimately differ: ties (two jobs
 * due at the same millisecond, two servers started at the same time are ordered by insertion in
 * memory and by id in Redis) and limits smaller than the number of candidates in the sweeps
 * whose order the contract leaves open (releaseExpiredLeases, deleteExpired).
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { MemoryStorage } from '../../src/storage/memory/index.js';
import { RedisStorage } from '../../src/storage/redis/index.js';
import { STATE_NAMES, type Json, type NewJob, type StateEntry, type StateName, type Storage, type TransitionChange } from '../../src/storage/contract/index.js';
import { T0 } from '../../src/storage/conformance/index.js';
import { deleteKeys } from '../fixtures/redis-helpers.js';
import { serviceUrl } from '../support/services.js';

const url = serviceUrl('KILN_TEST_REDIS_URL');

/** mulberry32: a small seeded PRNG, so a failing seed can be replayed. */
function prng(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (n: number) => Math.floor(next() * n);
  const pick = <T>(xs: readonly T[]): T => xs[int(xs.length)]!;
  const chance = (p: number) => next() < p;
  const some = <T>(xs: readonly T[]): T[] => xs.filter(() => chance(0.5));
  return { int, pick, chance, some };
}

const QUEUES = ['a', 'b', 'c'] as const;
const SERVERS = ['s1', 's2', 's3'] as const;
const NAMES = ['send-email', 'build-report', 'Ünïcode-Job'] as const;

async function runSeed(seed: number, redis: Storage, memory: Storage, steps: number): Promise<void> {
  const r = prng(seed);
  let now = T0;
  let counter = 0;
  /** Distinct times: no two jobs due, leased or expiring at the same millisecond. */
  const distinct = (base: number) => base + r.int(50_000) * 1000 + (++counter % 1000);
  const ids: string[] = [];
  const uuid = () => {
    const hex = randomBytes(16).toString('hex');
    return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
  };
  const entry = (name: StateName): StateEntry => {
    const e: StateEntry = { name, at: now + r.int(3) * 3_600_000 };
    if (r.chance(0.7)) e.reason = r.pick(['by test', '', 'Retry / "quoted" ünï']);
    if (r.chance(0.5)) e.data = r.pick<{ [k: string]: Json }>([{ serverId: 'x' }, { error: 'boom', list: [] }, { nested: { a: [1, 2.5] } }]);
    return e;
  };
  const params = (): { [k: string]: Json } =>
    r.pick<{ [k: string]: Json }>([{}, { retryCount: r.int(5) }, { tags: [], big: 12345678901234 }, { s: 'ü/"\\' }]);

  const newJob = (): NewJob => {
    const state = r.pick(['enqueued', 'enqueued', 'scheduled', 'awaiting'] as const);
    const job: NewJob = {
      id: uuid(),
      name: r.pick(NAMES),
      queue: r.pick(QUEUES),
      args: JSON.stringify({ n: r.int(100) }),
      state: entry(state),
      createdAt: now,
      parameters: params(),
    };
    if (state === 'scheduled') job.runAt = distinct(now);
    if (state === 'awaiting') job.parentId = ids.length > 0 && r.chance(0.8) ? r.pick(ids) : uuid();
    if (r.chance(0.3)) {
      job.uniqueKey = r.pick(['k1', 'k2']);
      if (r.chance(0.5)) job.uniqueUntil = now + r.int(20_000);
    }
    return job;
  };

  const change = (): TransitionChange => {
    const to = r.pick(STATE_NAMES);
    const c: TransitionChange = {
      id: ids.length > 0 && r.chance(0.95) ? r.pick(ids) : uuid(),
      expectStates: r.chance(0.2) ? [...STATE_NAMES] : r.some(STATE_NAMES),
      to: entry(to),
    };
    if (r.chance(0.3)) c.expectServerId = r.pick(SERVERS);
    if (r.chance(0.2)) c.passedThrough = [entry(r.pick(['failed', 'succeeded'] as const))];
    if (r.chance(0.2)) c.queue = r.pick(QUEUES);
    if (to === 'scheduled' && r.chance(0.8)) c.runAt = distinct(now);
    if (r.chance(0.4)) c.expireAt = r.chance(0.2) ? null : distinct(now);
    if (r.chance(0.2)) c.attempt = 1 + r.int(5);
    if (r.chance(0.3)) c.parameters = params();
    if (r.chance(0.3)) c.result = r.pick(['42', '{"ok":true}', 'null']);
    return c;
  };

  // Every random choice is made before `op` runs: it runs once per backend.
  const same = async (label: string, op: (s: Storage) => Promise<unknown>, normalize: (v: unknown) => unknown = (v) => v) => {
    const [m, x] = [await op(memory), await op(redis)];
    assert.deepEqual(normalize(x), normalize(m), `seed ${seed}, step ${label}`);
    return m;
  };

  for (let step = 0; step < steps; step++) {
    if (r.chance(0.3)) now += r.int(30_000);
    const label = `${step}`;
    const kind = r.int(24);
    switch (kind) {
      case 0:
      case 1:
      case 2: {
        const jobs = Array.from({ length: 1 + r.int(4) }, newJob);
        await same(`${label} createJobs`, (s) => s.createJobs(structuredClone(jobs), { now }));
        ids.push(...jobs.map((j) => j.id));
        break;
      }
      case 3:
      case 4: {
        const queues = r.some(QUEUES).sort(() => (r.chance(0.5) ? 1 : -1));
        const o = { queues, max: r.int(5), serverId: r.pick(SERVERS), leaseMs: 1000 + r.int(60_000), now };
        await same(`${label} fetch`, (s) => s.fetch({ ...o }));
        break;
      }
      case 5:
      case 6:
      case 7: {
        const changes = Array.from({ length: 1 + r.int(4) }, change);
        await same(`${label} transition`, (s) => s.transition(structuredClone(changes), now));
        break;
      }
      case 8: {
        const server = r.pick(SERVERS);
        const some = ids.length > 0 ? Array.from({ length: 1 + r.int(4) }, () => r.pick(ids)) : [];
        const unique = [...new Set(some)];
        const leaseMs = 1000 + r.int(60_000);
        await same(`${label} renewLeases`, (s) => s.renewLeases(server, unique, leaseMs, now));
        break;
      }
      case 9: {
        const limit = 1 + r.int(3);
        await same(`${label} enqueueDue`, (s) => s.enqueueDue(now, limit));
        break;
      }
      case 10:
        await same(`${label} releaseExpiredLeases`, (s) => s.releaseExpiredLeases(now, 1000));
        break;
      case 11: {
        const at = now + r.int(2) * 1_000_000_000;
        await same(`${label} deleteExpired`, (s) => s.deleteExpired(at, 1000));
        break;
      }
      case 12: {
        const id = ids.length > 0 ? r.pick(ids) : uuid();
        await same(`${label} getJob`, (s) => s.getJob(id));
        break;
      }
      case 13:
        await same(`${label} statistics`, (s) => s.statistics());
        await same(`${label} queues`, (s) => s.queues());
        await same(`${label} nextDueAt`, (s) => s.nextDueAt());
        await same(`${label} retries`, (s) => s.listJobs({ state: 'scheduled', retriesOnly: true, offset: 0, limit: 5 }));
        break;
      case 14: {
        const q = {
          state: r.pick(STATE_NAMES),
          offset: r.int(3),
          limit: r.int(6),
          ...(r.chance(0.3) ? { queue: r.pick(QUEUES) } : {}),
          ...(r.chance(0.3) ? { name: r.pick(NAMES) } : {}),
          ...(r.chance(0.3) ? { search: r.pick(['REPORT', 'ünï', ids[0]?.slice(0, 4) ?? 'x']) } : {}),
          ...(r.chance(0.3) ? { retriesOnly: true } : {}),
        };
        await same(`${label} listJobs`, (s) => s.listJobs(q));
        break;
      }
      case 15: {
        const parents = ids.length > 0 ? [r.pick(ids), r.pick(ids)] : [];
        await same(`${label} continuationsOf`, (s) => s.continuationsOf(parents));
        const limit = 1 + r.int(4);
        await same(`${label} awaitingReady`, (s) => s.awaitingReady(limit));
        break;
      }
      case 16: {
        const id = r.pick(SERVERS);
        const server = { id, name: `host:${id}`, workerCount: 1 + r.int(9), queues: r.some(QUEUES), startedAt: now + ++counter, heartbeatAt: now };
        await same(`${label} announceServer`, (s) => s.announceServer(structuredClone(server)));
        break;
      }
      case 17: {
        const id = r.pick(SERVERS);
        await same(`${label} heartbeat`, (s) => s.heartbeat(id, now));
        await same(`${label} listServers`, (s) => s.listServers());
        break;
      }
      case 18: {
        const before = now - r.int(60_000);
        await same(`${label} removeDeadServers`, (s) => s.removeDeadServers(before, now), (v) => [...(v as string[])].sort());
        if (r.chance(0.3)) {
          const id = r.pick(SERVERS);
          await same(`${label} removeServer`, (s) => s.removeServer(id, now));
        }
        break;
      }
      case 19: {
        const [res, owner, ttl] = [r.pick(['r1', 'r2']), r.pick(['o1', 'o2']), r.int(20_000)];
        if (r.chance(0.7)) await same(`${label} acquireLock`, (s) => s.acquireLock(res, owner, ttl, now));
        else await same(`${label} releaseLock`, (s) => s.releaseLock(res, owner));
        break;
      }
      case 20: {
        const id = r.pick(['rA', 'rB', 'rC']);
        const rec = {
          id,
          name: r.pick(NAMES),
          queue: r.pick(QUEUES),
          args: '{}',
          cron: '* * * * *',
          timeZone: r.pick(['UTC', 'Europe/Paris']),
          misfire: r.pick(['relaxed', 'strict', 'ignorable'] as const),
          nextExecution: r.chance(0.2) ? null : distinct(now - 100_000_000),
          lastExecution: r.chance(0.5) ? null : now,
          lastJobId: r.chance(0.5) ? null : uuid(),
          paused: r.chance(0.2),
          createdAt: now,
          error: r.chance(0.7) ? null : 'bad cron',
        };
        await same(`${label} upsertRecurring`, (s) => s.upsertRecurring(structuredClone(rec)));
        break;
      }
      case 21: {
        const id = r.pick(['rA', 'rB', 'rC', 'rZ']);
        const op = r.int(3);
        if (op === 0) await same(`${label} removeRecurring`, (s) => s.removeRecurring(id));
        else if (op === 1) {
          const paused = r.chance(0.5);
          await same(`${label} setRecurringPaused`, (s) => s.setRecurringPaused(id, paused));
        }
        else await same(`${label} getRecurring`, (s) => s.getRecurring(id));
        await same(`${label} listRecurring`, (s) => s.listRecurring());
        const limit = 1 + r.int(3);
        await same(`${label} dueRecurring`, (s) => s.dueRecurring(now, limit));
        break;
      }
      case 22: {
        const id = r.pick(['rA', 'rB', 'rC']);
        const current = await memory.getRecurring(id);
        const jobs = Array.from({ length: r.int(3) }, newJob);
        const advance = {
          id,
          expectNext: current?.nextExecution !== null && current && r.chance(0.8) ? current.nextExecution : now,
          nextExecution: r.chance(0.2) ? null : distinct(now),
          lastExecution: r.chance(0.3) ? null : now,
          jobs,
          ...(r.chance(0.5) ? { error: r.chance(0.5) ? null : 'oops' } : {}),
        };
        const applied = await same(`${label} advanceRecurring`, (s) => s.advanceRecurring(structuredClone(advance), now));
        if (applied) ids.push(...jobs.map((j) => j.id));
        break;
      }
      case 23: {
        const unit = r.pick(['hour', 'day'] as const);
        await same(`${label} timeline`, (s) => s.timeline(unit, now - 86_400_000, now + 4 * 3_600_000));
        break;
      }
    }
  }
  // A final full comparison of every job.
  for (const id of ids) await same(`final getJob ${id}`, (s) => s.getJob(id));
  await same('final statistics', (s) => s.statistics());
}

if (url) {
  describe('redis: the same answers as MemoryStorage', () => {
    for (const seed of [1, 2, 3, 4, 5, 6, 7, 8]) {
      it(`random operation sequence, seed ${seed}`, async () => {
        const redis = new RedisStorage(url, { prefix: `kiln-t-${randomBytes(6).toString('hex')}:` });
        const memory = new MemoryStorage();
        try {
          await redis.migrate();
          await runSeed(seed, redis, memory, 400);
        } finally {
          await redis.close();
          await memory.close();
          await deleteKeys(url, redis.keys.pattern);
        }
      });
    }
  });
}
