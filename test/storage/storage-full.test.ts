/**
 * A full storage is a `StorageFullError` naming it, and the call wrote nothing (issue #11):
 * SQLite's `SQLITE_FULL` (the file may not grow past `max_page_count`, which is how SQLite
 * reports a full disk too) and Postgres's SQLSTATE 53100 (raised by a trigger of the test: the
 * shared test server's disk cannot be filled). Redis's OOM: redis-all-or-nothing.test.ts.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import type BetterSqlite3 from 'better-sqlite3';
import pg from 'pg';
import { JobClient, SqliteStorage, StorageFullError, defineJob, silentLogger, type Storage } from '../../src/index.js';
import { openPostgresStore } from '../fixtures/postgres-store.js';
import { serviceUrl } from '../support/services.js';

const job = defineJob({ name: 'storage-full', run: (_: number) => {} });

async function jobCount(storage: Storage): Promise<number> {
  return Object.values((await storage.statistics()).states).reduce((a, b) => a + b, 0);
}

/** Enqueues 2,000 jobs: refused with a StorageFullError naming `name`, and nothing written. */
async function refusedWhenFull(storage: Storage, name: string): Promise<void> {
  const client = new JobClient({ storage, logger: silentLogger });
  const before = await jobCount(storage);
  await assert.rejects(client.enqueueMany(job, Array.from({ length: 2_000 }, (_, i) => i)), (e: unknown) => {
    assert.ok(e instanceof StorageFullError, `expected a StorageFullError, got ${String(e)}`);
    assert.equal(e.storage, name);
    assert.ok(e.message.startsWith(`${name} is full: `), e.message);
    assert.ok(e.cause, 'the driver error is kept');
    return true;
  });
  assert.equal(await jobCount(storage), before, 'nothing written');
}

describe('a full storage: StorageFullError, nothing written', () => {
  it('sqlite: SQLITE_FULL', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kiln-full-'));
    const storage = new SqliteStorage(join(dir, 'kiln.db'), { logger: silentLogger });
    try {
      const client = new JobClient({ storage, logger: silentLogger });
      await client.enqueue(job, 0);
      // The storage's own connection: max_page_count is a setting of the connection.
      const { db } = (storage as unknown as { ctx: { open(): { db: BetterSqlite3.Database } } }).ctx.open();
      db.pragma(`max_page_count = ${Number(db.pragma('page_count', { simple: true }))}`);
      await refusedWhenFull(storage, `SqliteStorage(${storage.path})`);
      db.pragma('max_page_count = 1073741823');
      await client.enqueueMany(job, [1, 2, 3]);
      assert.equal(await jobCount(storage), 4, 'writes again once there is room');
    } finally {
      await storage.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  const url = serviceUrl('KILN_TEST_PG_URL');
  it('postgres: SQLSTATE 53100 (disk_full)', { skip: !url && 'KILN_TEST_PG_URL is not set' }, async () => {
    const store = await openPostgresStore(url!);
    const admin = new pg.Client({ connectionString: url });
    await admin.connect();
    try {
      const s = `"${store.schema}"`;
      await admin.query(`
        CREATE FUNCTION ${s}.disk_full() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN RAISE EXCEPTION 'could not extend file "base/1/2": No space left on device' USING ERRCODE = 'disk_full'; END $$;
        CREATE TRIGGER disk_full BEFORE INSERT ON ${s}.jobs FOR EACH ROW EXECUTE FUNCTION ${s}.disk_full();`);
      await refusedWhenFull(store.storage, `PostgresStorage(schema ${store.schema})`);
      await admin.query(`DROP TRIGGER disk_full ON ${s}.jobs`);
      await new JobClient({ storage: store.storage, logger: silentLogger }).enqueueMany(job, [1, 2, 3]);
      assert.equal(await jobCount(store.storage), 3, 'writes again once there is room');
    } finally {
      await admin.end();
      await store.destroy();
    }
  });
});
