import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import pg from 'pg';
import { ValidationError } from '../../src/errors.js';
import { silentLogger } from '../../src/logger.js';
import { HOUR_MS } from '../../src/storage/buckets.js';
import { T0, newJob } from '../../src/storage/conformance/index.js';
import { MIGRATIONS, PostgresStorage, migrate } from '../../src/storage/postgres/index.js';
import type { StorageEvent } from '../../src/storage/contract/index.js';
import { openPostgresStore, withPgClient } from '../fixtures/postgres-store.js';
import { serviceUrl } from '../support/services.js';

const url = serviceUrl('KILN_TEST_PG_URL');

/** A connection of its own for the test, beside the storage's pool. */
const admin = <T>(fn: (client: pg.Client) => Promise<T>): Promise<T> => withPgClient(url!, fn);

/** Collects a storage's events; `until(pred)` resolves once one matches (no sleeps). */
async function collect(storage: { subscribe: PostgresStorage['subscribe'] }) {
  const events: StorageEvent[] = [];
  const waiters = new Set<() => void>();
  const unsubscribe = await storage.subscribe((e) => {
    events.push(e);
    for (const w of [...waiters]) w();
  });
  /** Resolves once `count` events match. */
  const until = (pred: (e: StorageEvent) => boolean, count = 1) =>
    new Promise<void>((resolve) => {
      const check = () => {
        if (events.filter(pred).length >= count) {
          waiters.delete(check);
          resolve();
        }
      };
      waiters.add(check);
      check();
    });
  return { events, until, unsubscribe };
}

/** Postgres-specific behaviour beyond the shared conformance suite. */
describe('postgres: backend specifics', { skip: url ? false : 'KILN_TEST_PG_URL is not set' }, () => {
  it('migrate() is safe when several servers start at once, and records its versions', async () => {
    const schema = `kiln_t_${randomBytes(6).toString('hex')}`;
    const storages = Array.from({ length: 5 }, () => new PostgresStorage(url!, { schema, poolSize: 1 }));
    try {
      await Promise.all(storages.map((s) => s.migrate()));
      await storages[0]!.migrate();
      assert.deepEqual(await migrate(url!, { schema }), [], 'the CLI entry finds nothing left to do');
      const rows = await admin(async (c) => (await c.query(`SELECT version FROM "${schema}".migrations ORDER BY version`)).rows);
      assert.deepEqual(
        rows.map((r) => r.version),
        MIGRATIONS.map((m) => m.version),
      );
    } finally {
      await Promise.all(storages.map((s) => s.close()));
      await admin((c) => c.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`));
    }
  });

  it('sends wake-ups for every way a job reaches a queue, once per queue per batch', async () => {
    const store = await openPostgresStore(url!);
    try {
      const other = await store.connect();
      const { events, until, unsubscribe } = await collect(store.storage);
      const due = newJob({ queue: 'due', state: { name: 'scheduled', at: T0 }, runAt: T0 });
      const moved = newJob({ queue: 'a' });
      const leased = newJob({ queue: 'lease' });
      const held = newJob({ queue: 'held' });
      await other.createJobs([due, moved, leased, held, newJob({ queue: 'a' })], { now: T0 });
      await until((e) => e.type === 'enqueued' && e.queue === 'held');
      assert.equal(events.filter((e) => e.type === 'enqueued' && e.queue === 'a').length, 1, 'one per distinct queue');
      assert.equal(await other.enqueueDue(T0, 10), 1);
      await until((e) => e.type === 'enqueued' && e.queue === 'due');
      await other.transition([{ id: moved.id, expectStates: ['enqueued'], to: { name: 'enqueued', at: T0 }, queue: 'b' }], T0);
      await until((e) => e.type === 'enqueued' && e.queue === 'b');
      await other.fetch({ queues: ['lease'], max: 1, serverId: 'S1', leaseMs: 10, now: T0 });
      assert.equal(await other.releaseExpiredLeases(T0 + 100, 10), 1);
      await until((e) => e.type === 'enqueued' && e.queue === 'lease', 2);
      await other.fetch({ queues: ['held'], max: 1, serverId: 'S2', leaseMs: 60_000, now: T0 });
      await other.removeServer('S2', T0);
      await until((e) => e.type === 'enqueued' && e.queue === 'held', 2);
      // A worker finishing its own job is not an abort; someone else's hand is.
      await other.fetch({ queues: ['held', 'lease'], max: 2, serverId: 'S3', leaseMs: 60_000, now: T0 });
      await other.transition(
        [
          { id: held.id, expectStates: ['processing'], expectServerId: 'S3', to: { name: 'succeeded', at: T0 } },
          { id: leased.id, expectStates: ['processing'], to: { name: 'deleted', at: T0 } },
        ],
        T0,
      );
      await until((e) => e.type === 'aborted' && e.jobId === leased.id);
      assert.equal(events.some((e) => e.type === 'aborted' && e.jobId === held.id), false);
      await unsubscribe();
    } finally {
      await store.destroy();
    }
  });

  it('the listener reconnects after its connection is killed, and wakes everyone once', async () => {
    const store = await openPostgresStore(url!);
    try {
      const { until, unsubscribe } = await collect(store.storage);
      const killed = await admin(
        async (c) =>
          (
            await c.query(
              `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1 AND query LIKE 'LISTEN%'`,
              [store.schema],
            )
          ).rowCount,
      );
      assert.equal(killed, 1);
      await until((e) => e.type === 'enqueued' && e.queue === '*');
      await store.storage.createJobs([newJob({ queue: 'after' })], { now: T0 });
      await until((e) => e.type === 'enqueued' && e.queue === 'after');
      await unsubscribe();
    } finally {
      await store.destroy();
    }
  });

  it('survives its connections being killed: calls may fail, then work again', async () => {
    const store = await openPostgresStore(url!);
    try {
      const { storage } = store;
      await storage.createJobs([newJob()], { now: T0 });
      await Promise.all([storage.statistics(), storage.statistics(), storage.statistics()]);
      await admin((c) =>
        c.query(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1`, [store.schema]),
      );
      let stats = null;
      for (let attempt = 0; attempt < 10 && !stats; attempt++) {
        stats = await storage.statistics().catch(() => null);
      }
      assert.equal(stats?.states.enqueued, 1);
      const got = await storage.fetch({ queues: ['default'], max: 1, serverId: 's', leaseMs: 1000, now: T0 });
      assert.equal(got.length, 1);
    } finally {
      await store.destroy();
    }
  });

  it('unique keys: an expired holder lets exactly one of many concurrent creates through', async () => {
    const store = await openPostgresStore(url!);
    try {
      const conns = [store.storage, await store.connect(), await store.connect()];
      const holder = newJob({ uniqueKey: 'k', uniqueUntil: T0 + 10 });
      await store.storage.createJobs([holder], { now: T0 });
      const results = await Promise.all(
        Array.from({ length: 30 }, (_, i) => conns[i % 3]!.createJobs([newJob({ uniqueKey: 'k' })], { now: T0 + 10 })),
      );
      const created = results.filter((r) => r[0]!.created);
      assert.equal(created.length, 1);
      assert.ok(results.every((r) => r[0]!.id === created[0]![0]!.id));
      assert.equal((await store.storage.getJob(holder.id))?.uniqueKey, 'k', 'the old holder keeps its key');
      // Within one batch, the first job with a key holds it for the ones after.
      const [a, b] = [newJob({ uniqueKey: 'batch' }), newJob({ uniqueKey: 'batch' })];
      assert.deepEqual(await store.storage.createJobs([a, b], { now: T0 }), [
        { id: a.id, created: true },
        { id: a.id, created: false },
      ]);
    } finally {
      await store.destroy();
    }
  });

  it('unique keys: a finished job requeued while another holds its key comes back without blocking', async () => {
    const store = await openPostgresStore(url!);
    try {
      const { storage } = store;
      const first = newJob({ uniqueKey: 'r' });
      await storage.createJobs([first], { now: T0 });
      await storage.transition([{ id: first.id, expectStates: ['enqueued'], to: { name: 'deleted', at: T0 } }], T0);
      const second = newJob({ uniqueKey: 'r' });
      assert.deepEqual(await storage.createJobs([second], { now: T0 }), [{ id: second.id, created: true }]);
      assert.deepEqual(
        await storage.transition([{ id: first.id, expectStates: ['deleted'], to: { name: 'enqueued', at: T0 } }], T0),
        [true],
      );
      assert.equal((await storage.createJobs([newJob({ uniqueKey: 'r' })], { now: T0 }))[0]!.id, second.id);
      // Once the second is gone, the requeued first does not hold the key (it came back second).
      await storage.transition([{ id: second.id, expectStates: ['enqueued'], to: { name: 'deleted', at: T0 } }], T0);
      const third = newJob({ uniqueKey: 'r' });
      assert.deepEqual(await storage.createJobs([third], { now: T0 }), [{ id: third.id, created: true }]);
      // A requeued job whose key is free takes it again.
      await storage.transition([{ id: third.id, expectStates: ['enqueued'], to: { name: 'succeeded', at: T0 } }], T0);
      await storage.transition([{ id: third.id, expectStates: ['succeeded'], to: { name: 'enqueued', at: T0 } }], T0);
      await storage.transition([{ id: first.id, expectStates: ['enqueued'], to: { name: 'deleted', at: T0 } }], T0);
      assert.equal((await storage.createJobs([newJob({ uniqueKey: 'r' })], { now: T0 }))[0]!.id, third.id);
    } finally {
      await store.destroy();
    }
  });

  it('unique keys: two finished jobs requeued in one batch for the same free key both come back', async () => {
    const store = await openPostgresStore(url!);
    try {
      const { storage } = store;
      const [a, b] = [newJob({ uniqueKey: 'z' }), newJob({ uniqueKey: 'z' })];
      for (const j of [a, b]) {
        await storage.createJobs([j], { now: T0 });
        await storage.transition([{ id: j.id, expectStates: ['enqueued'], to: { name: 'deleted', at: T0 } }], T0);
      }
      const back = await storage.transition(
        [a, b].map((j) => ({ id: j.id, expectStates: ['deleted' as const], to: { name: 'enqueued' as const, at: T0 } })),
        T0,
      );
      assert.deepEqual(back, [true, true]);
      assert.equal((await storage.statistics()).states.enqueued, 2);
    } finally {
      await store.destroy();
    }
  });

  it('counters from many connections fold into one row per past hour, totals unchanged', async () => {
    const store = await openPostgresStore(url!);
    try {
      const conns = [store.storage, await store.connect(), await store.connect(), await store.connect()];
      const jobs = Array.from({ length: 40 }, () => newJob());
      await store.storage.createJobs(jobs, { now: T0 });
      await store.storage.fetch({ queues: ['default'], max: 40, serverId: 's', leaseMs: 1000, now: T0 });
      await Promise.all(
        jobs.map((j, i) =>
          conns[i % 4]!.transition(
            [
              {
                id: j.id,
                expectStates: ['processing'],
                passedThrough: i % 2 ? [{ name: 'failed', at: T0 + 1 }] : [],
                to: i % 2 ? { name: 'scheduled', at: T0 + 1 } : { name: 'succeeded', at: T0 + 1 },
              },
            ],
            T0,
          ),
        ),
      );
      const before = await store.storage.timeline('hour', T0, T0 + HOUR_MS);
      assert.deepEqual(before[0], { at: T0, succeeded: 20, failed: 20 });
      await store.storage.deleteExpired(T0 + 3 * HOUR_MS, 100);
      assert.deepEqual(await store.storage.timeline('hour', T0, T0 + HOUR_MS), before);
      const stats = await store.storage.statistics();
      assert.equal(stats.succeededTotal, 20);
      assert.equal(stats.failedTotal, 20);
      const rows = await admin(
        async (c) => (await c.query(`SELECT count(*)::int AS n FROM "${store.schema}".counters WHERE bucket = $1`, [T0])).rows[0].n,
      );
      assert.equal(rows, 1);
    } finally {
      await store.destroy();
    }
  });

  it('accepts a pool of the application, and leaves it open on close', async () => {
    const schema = `kiln_t_${randomBytes(6).toString('hex')}`;
    const pool = new pg.Pool({ connectionString: url, max: 2 });
    const storage = new PostgresStorage({ pool }, { schema });
    try {
      await storage.migrate();
      const j = newJob();
      await storage.createJobs([j], { now: T0 });
      assert.equal((await storage.getJob(j.id))?.state, 'enqueued');
      await storage.close();
      assert.equal((await pool.query('SELECT 1 AS one')).rows[0].one, 1);
    } finally {
      await pool.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      await pool.end();
    }
  });

  it('a name the wire format cannot carry (U+001E, U+001F) is a ValidationError, and nothing is written', async () => {
    const store = await openPostgresStore(url!);
    try {
      const { storage } = store;
      const ok = newJob();
      await assert.rejects(
        storage.createJobs([ok, newJob({ name: 'a\x1eb' })], { now: T0 }),
        (e) => e instanceof ValidationError && e.field === 'name',
      );
      assert.equal((await storage.statistics()).states.enqueued, 0, 'not even the good job of the batch');
      await storage.createJobs([ok], { now: T0 });
      await assert.rejects(
        storage.transition([{ id: ok.id, expectStates: ['enqueued'], to: { name: 'enqueued', at: T0 }, queue: 'q\x1f' }], T0),
        (e) => e instanceof ValidationError && e.field === 'queue',
      );
      assert.equal((await storage.getJob(ok.id))?.queue, 'default');
      assert.equal((await storage.getJob(ok.id))?.history.length, 1);
    } finally {
      await store.destroy();
    }
  });

  it('rejects schema names that are not plain identifiers', () => {
    assert.throws(() => new PostgresStorage(url!, { schema: 'kiln"; drop' }), /schema name/);
  });
});

describe('postgres: options and driver loading', () => {
  it('a bad option or connection is a ValidationError naming it, before any connection is made', async () => {
    const cases: Array<[string, () => unknown]> = [
      ['schema', () => new PostgresStorage('postgres://x@127.0.0.1:1/none', { schema: 'Kiln-1' })],
      ['poolSize', () => new PostgresStorage('postgres://x@127.0.0.1:1/none', { poolSize: 0 })],
      ['poolSize', () => new PostgresStorage('postgres://x@127.0.0.1:1/none', { poolSize: 2.5 })],
      ['listenerMinBackoffMs', () => new PostgresStorage('postgres://x@127.0.0.1:1/none', { listenerMinBackoffMs: -1 })],
      ['listenerMaxBackoffMs', () => new PostgresStorage('postgres://x@127.0.0.1:1/none', { listenerMaxBackoffMs: Number.NaN })],
      [
        'listenerMaxBackoffMs',
        () => new PostgresStorage('postgres://x@127.0.0.1:1/none', { listenerMinBackoffMs: 500, listenerMaxBackoffMs: 100 }),
      ],
      ['logger', () => new PostgresStorage('postgres://x@127.0.0.1:1/none', { logger: {} as never })],
      ['connection', () => new PostgresStorage(null as never)],
      ['connection', () => new PostgresStorage('')],
    ];
    for (const [field, make] of cases) {
      assert.throws(make, (e) => e instanceof ValidationError && e.field === field, field);
    }
    await assert.rejects(
      migrate('postgres://x@127.0.0.1:1/none', { schema: 'a b' }),
      (e) => e instanceof ValidationError && e.field === 'schema',
    );
  });

  it('importing the backend does not load pg; constructing a storage does', () => {
    const script = `
      import { createRequire } from 'node:module';
      const loaded = () => Object.keys(createRequire(import.meta.url).cache).some((f) => /[\\/]node_modules[\\/]pg[\\/]/.test(f));
      const { PostgresStorage } = await import('./src/storage/postgres/index.ts');
      const before = loaded();
      const storage = new PostgresStorage('postgres://x@127.0.0.1:1/none', { schema: 'kiln_import' });
      console.log(JSON.stringify({ before, after: loaded() }));
      await storage.close();
    `;
    const out = execFileSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { encoding: 'utf8' });
    assert.deepEqual(JSON.parse(out.trim().split('\n').pop()!), { before: false, after: true });
  });
});

describe('postgres: database unreachable', () => {
  it('methods reject, subscribe still resolves and retries quietly, close() ends cleanly', async () => {
    const warnings: string[] = [];
    // Port 1 refuses connections at once: no real server is needed for this case.
    const storage = new PostgresStorage('postgres://postgres@127.0.0.1:1/none', {
      schema: 'kiln_unreachable',
      logger: { ...silentLogger, warn: (m) => warnings.push(m) },
      listenerMinBackoffMs: 5,
      listenerMaxBackoffMs: 20,
    });
    await assert.rejects(storage.statistics());
    await assert.rejects(storage.createJobs([newJob()], { now: T0 }));
    const unsubscribe = await storage.subscribe(() => {});
    assert.ok(warnings.some((w) => w.includes('cannot LISTEN')));
    await unsubscribe();
    await storage.close();
  });
});
