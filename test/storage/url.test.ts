import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import pg from 'pg';
import { Redis } from 'ioredis';
import { JobClient, SqliteStorage, MemoryStorage, ValidationError, defineJob, silentLogger, storageFromUrl } from '../../src/index.js';
import { PostgresStorage } from '../../src/storage/postgres/index.js';
import { RedisStorage } from '../../src/storage/redis/index.js';
import { parseStorageUrl, redactUrl, takeUrlParam } from '../../src/storage/url.js';
import { serviceUrl } from '../support/services.js';

const pgUrl = serviceUrl('KILN_TEST_PG_URL');
const redisUrl = serviceUrl('KILN_TEST_REDIS_URL');
const probe = defineJob({ name: 'url-probe', run: (_: { n: number }) => {} });

/** `url` with one more query parameter. */
const withParam = (url: string, param: string) => `${url}${url.includes('?') ? '&' : '?'}${param}`;

describe('storage URLs', () => {
  it('reads every scheme one way, and takes Kiln parameters out of the driver URL', () => {
    assert.deepEqual(parseStorageUrl('postgres://u:p@db:5432/app?sslmode=require&schema=jobs'), {
      kind: 'postgres',
      connectionString: 'postgres://u:p@db:5432/app?sslmode=require',
      schema: 'jobs',
    });
    assert.deepEqual(parseStorageUrl('postgresql://db/app'), { kind: 'postgres', connectionString: 'postgresql://db/app', schema: undefined });
    assert.deepEqual(parseStorageUrl('rediss://:secret@cache:6380/2?prefix=app%3A'), { kind: 'redis', url: 'rediss://:secret@cache:6380/2', prefix: 'app:' });
    assert.deepEqual(parseStorageUrl('sqlite:./data/kiln.db'), { kind: 'sqlite', path: './data/kiln.db' });
    assert.deepEqual(parseStorageUrl('sqlite:///var/lib/kiln.db'), { kind: 'sqlite', path: '/var/lib/kiln.db' });
    assert.deepEqual(parseStorageUrl('./kiln.db'), { kind: 'sqlite', path: './kiln.db' });
    assert.deepEqual(parseStorageUrl('C:\\data\\kiln.db'), { kind: 'sqlite', path: 'C:\\data\\kiln.db' });
    assert.deepEqual(parseStorageUrl('memory:'), { kind: 'memory' });
    // Other parameters keep their exact encoding; the fragment stays.
    assert.deepEqual(takeUrlParam('postgres://h/d?options=-c%20search_path%3Dx&schema=s#f', 'schema'), { url: 'postgres://h/d?options=-c%20search_path%3Dx#f', value: 's' });
  });

  it('refuses unknown schemes and empty values with a ValidationError naming the field, and never echoes a password', () => {
    for (const bad of ['mysql://root:hunter2@localhost/db', 'http://example.com/kiln', 'sqlite:', '  ', 'postgres://h/d?schema=', 'postgres://h/d?schema=a&schema=b']) {
      assert.throws(() => storageFromUrl(bad), (e: unknown) => e instanceof ValidationError && e.field === 'url' && !e.message.includes('hunter2'), bad);
    }
    assert.match(String((() => { try { parseStorageUrl('mysql://root:hunter2@localhost/db'); } catch (e) { return e; } })()), /unknown storage scheme 'mysql:' in mysql:\/\/root:\*\*\*@localhost\/db/);
    assert.equal(redactUrl('redis://:pw@h:1/0'), 'redis://:***@h:1/0');
  });

  it('makes the storage the URL names, and touches nothing until it is used', async () => {
    assert.ok(storageFromUrl('memory:') instanceof MemoryStorage);
    const file = join(tmpdir(), `kiln-url-${randomBytes(4).toString('hex')}.db`);
    const sqlite = storageFromUrl(`sqlite:${file}`);
    assert.ok(sqlite instanceof SqliteStorage);
    assert.equal(existsSync(file), false);
    await sqlite.close();
  });

  it('PostgresStorage honours ?schema= as storageFromUrl and the CLI do; options.schema wins', { skip: !pgUrl && 'KILN_TEST_PG_URL is not set' }, async () => {
    const schema = `kiln_url_${randomBytes(4).toString('hex')}`;
    const url = withParam(pgUrl!, `schema=${schema}`);
    const admin = new pg.Client({ connectionString: pgUrl! });
    await admin.connect();
    const byClass = new PostgresStorage(url, { logger: silentLogger });
    const byUrl = storageFromUrl(url, { logger: silentLogger });
    const byOption = new PostgresStorage(pgUrl!, { schema, logger: silentLogger });
    const overridden = new PostgresStorage(url, { schema: 'kiln_url_other', logger: silentLogger });
    try {
      const id = await new JobClient({ storage: byClass, logger: silentLogger }).enqueue(probe, { n: 1 });
      const { rows } = await admin.query('SELECT count(*)::int AS n FROM information_schema.schemata WHERE schema_name = $1', [schema]);
      assert.equal(rows[0].n, 1, 'the schema named in the URL was created');
      assert.equal((await byUrl.getJob(id))?.name, 'url-probe');
      assert.equal((await byOption.getJob(id))?.name, 'url-probe');
      await assert.rejects(overridden.getJob(id), /kiln_url_other/, 'options.schema wins over the URL');
    } finally {
      await Promise.all([byClass.close(), byUrl.close(), byOption.close(), overridden.close()]);
      await admin.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
      await admin.end();
    }
  });

  it('RedisStorage honours ?prefix= as storageFromUrl and the CLI do; options.prefix wins', { skip: !redisUrl && 'KILN_TEST_REDIS_URL is not set' }, async () => {
    const prefix = `kiln-url-${randomBytes(4).toString('hex')}:`;
    const url = withParam(redisUrl!, `prefix=${encodeURIComponent(prefix)}`);
    const raw = new Redis(redisUrl!);
    const byClass = new RedisStorage(url, { logger: silentLogger });
    const byUrl = storageFromUrl(url, { logger: silentLogger });
    const overridden = new RedisStorage(url, { prefix: `${prefix}other:`, logger: silentLogger });
    try {
      const id = await new JobClient({ storage: byClass, logger: silentLogger }).enqueue(probe, { n: 2 });
      const keys = await raw.keys(`*${prefix.slice(0, -1)}*`);
      assert.ok(keys.length > 0 && keys.every((k) => k.includes(prefix.slice(0, -1))), 'keys live under the URL prefix');
      assert.equal((await byUrl.getJob(id))?.name, 'url-probe');
      assert.equal(await overridden.getJob(id), null, 'options.prefix wins over the URL');
    } finally {
      await Promise.all([byClass.close(), byUrl.close(), overridden.close()]);
      const keys = await raw.keys(`*${prefix.slice(0, -1)}*`);
      if (keys.length > 0) await raw.del(...keys);
      await raw.quit();
    }
  });
});
