import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import pg from 'pg';
import { silentLogger } from '../../src/logger.js';
import { T0, newJob } from '../../src/storage/conformance/index.js';
import { MAX_RATE_WINDOW_MS } from '../../src/storage/contract/index.js';
import { MIGRATIONS, PostgresStorage } from '../../src/storage/postgres/index.js';
import { openPostgresStore, withPgClient } from '../fixtures/postgres-store.js';
import { serviceUrl } from '../support/services.js';

const url = serviceUrl('KILN_TEST_PG_URL');

/** A connection of its own for the test, beside the storage's pool. */
const admin = <T>(fn: (client: pg.Client) => Promise<T>): Promise<T> => withPgClient(url!, fn);

/** The flow lock's keys, as migration 3 spells them (see `flowLock`). */
const flowLockArgs = (schema: string) => `hashtext('kiln.flow'), hashtext('"${schema}"')`;

/** Postgres flow control (migration 3) beyond the conformance suite: the upgrade, and what the plain path does not pay. */
describe('postgres: flow control specifics', { skip: !url && 'KILN_TEST_PG_URL is not set' }, () => {
  it('a schema with jobs enqueued before migration 3 upgrades in place: they keep their order, priority 0, no limits', async () => {
    const schema = `kiln_t_${randomBytes(6).toString('hex')}`;
    const storage = new PostgresStorage(url!, { schema, poolSize: 2, logger: silentLogger });
    try {
      const old = MIGRATIONS.filter((m) => m.version < 3);
      await admin(async (c) => {
        await c.query(`CREATE SCHEMA "${schema}"`);
        await c.query(`CREATE TABLE "${schema}".migrations (version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())`);
        for (const m of old) {
          await c.query(m.up(schema));
          await c.query(`INSERT INTO "${schema}".migrations (version, name) VALUES ($1, $2)`, [m.version, m.name]);
        }
        // Jobs as migration 2's insert_jobs wrote them.
        const ids = ['a', 'b', 'c'].map((x) => `0000000${x}`);
        for (const [i, id] of ids.entries()) {
          await c.query(
            `SELECT "${schema}".insert_jobs($1, 'n', 'default', '{}', 'enqueued', ARRAY[NULL]::text[], '', ARRAY[$2::bigint],
               ARRAY[$2::bigint], ARRAY[NULL]::bigint[], E'\\x1f', '', $3)`,
            [id, T0 + i, JSON.stringify({ name: 'enqueued', at: T0 + i })],
          );
        }
      });
      await storage.migrate();
      const fresh = newJob({ priority: 1 });
      await storage.createJobs([fresh], { now: T0 + 10 });
      const got = await storage.fetch({ queues: ['default'], max: 10, serverId: 's', leaseMs: 1000, now: T0 + 10 });
      assert.deepEqual(
        got.map((j) => [j.id, j.priority, j.concurrency, j.rateLimit]),
        [
          [fresh.id, 1, null, null],
          ['0000000a', 0, null, null],
          ['0000000b', 0, null, null],
          ['0000000c', 0, null, null],
        ],
      );
    } finally {
      await storage.close();
      await admin((c) => c.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`));
    }
  });

  it('50 concurrent throttled calls and keep calls of one key, from several connections, create exactly one job', async () => {
    const store = await openPostgresStore(url!);
    try {
      const conns = [store.storage, await store.connect(), await store.connect()];
      const results = await Promise.all(
        Array.from({ length: 50 }, (_, i) => {
          const job =
            i % 5 === 0
              ? newJob({ uniqueKey: 'burst' })
              : newJob({ uniqueKey: 'burst', uniqueMode: 'throttle', uniqueUntil: T0 + 60_000, createdAt: T0 + i });
          return conns[i % conns.length]!.createJobs([job], { now: T0 + i });
        }),
      );
      assert.equal(new Set(results.map((r) => r[0]!.id)).size, 1);
      assert.equal(results.filter((r) => r[0]!.created).length, 1);
      assert.equal((await store.storage.statistics()).states.enqueued, 1);
    } finally {
      await store.destroy();
    }
  });

  it('expiry maintenance drops rate starts older than the longest window, in bounded batches, and keeps the rest', async () => {
    const store = await openPostgresStore(url!);
    try {
      const { storage, schema } = store;
      const jobs = Array.from({ length: 3 }, () => newJob({ rateLimit: { key: 'gone', max: 10, perMs: 1000 } }));
      await storage.createJobs(jobs, { now: T0 });
      assert.equal((await storage.fetch({ queues: ['default'], max: 10, serverId: 's', leaseMs: 60_000, now: T0 })).length, 3);
      const count = () => admin(async (c) => Number((await c.query(`SELECT count(*) AS n FROM "${schema}".rate_starts`)).rows[0].n));
      assert.equal(await count(), 3);
      const dayLater = T0 + MAX_RATE_WINDOW_MS;
      assert.equal(await storage.deleteExpired(dayLater - 1, 2), 0);
      assert.equal(await count(), 3, 'a start within a day of now may still count');
      await storage.deleteExpired(dayLater, 2);
      assert.equal(await count(), 1, 'at most the batch size');
      await storage.deleteExpired(dayLater, 2);
      assert.equal(await count(), 0);
    } finally {
      await store.destroy();
    }
  });

  it('the plain path takes no lock: while the flow lock is held elsewhere, unlimited queues are claimed and limited ones wait', async () => {
    const store = await openPostgresStore(url!);
    const holder = new pg.Client({ connectionString: url });
    await holder.connect();
    try {
      const { storage } = store;
      await storage.setQueueLimits('capped', { concurrency: 5, rate: null });
      const plain = [newJob(), newJob({ priority: 3 })];
      const capped = newJob({ queue: 'capped' });
      const keyed = newJob({ queue: 'keyed', concurrency: { key: 'k', limit: 1 } });
      await storage.createJobs([...plain, capped, keyed], { now: T0 });
      await holder.query(`SELECT pg_advisory_lock(${flowLockArgs(store.schema)})`);

      const got = await storage.fetch({ queues: ['default'], max: 10, serverId: 's', leaseMs: 60_000, now: T0 });
      assert.deepEqual(
        got.map((j) => j.id),
        [plain[1]!.id, plain[0]!.id],
      );
      let settled = false;
      const limited = storage.fetch({ queues: ['capped', 'keyed'], max: 10, serverId: 's', leaseMs: 60_000, now: T0 }).finally(() => {
        settled = true;
      });
      await new Promise((resolve) => setTimeout(resolve, 300));
      assert.equal(settled, false, 'a limited claim waits for the flow lock');
      await holder.query(`SELECT pg_advisory_unlock(${flowLockArgs(store.schema)})`);
      assert.deepEqual(
        (await limited).map((j) => j.id),
        [capped.id, keyed.id],
      );
    } finally {
      await holder.end();
      await store.destroy();
    }
  });
});
