/**
 * Bad isolation and heartbeat options are refused with a `ValidationError` naming the field, and
 * nothing is defined or started; storages say whether another thread can open them.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { Redis } from 'ioredis';
import { BackgroundJobServer, MemoryStorage, SqliteStorage, ValidationError, defineJob, registeredJob, type Storage } from '../../src/index.js';
import { PostgresStorage } from '../../src/storage/postgres/index.js';
import { RedisStorage } from '../../src/storage/redis/index.js';

function refused(call: () => unknown, field: string, message: RegExp): void {
  assert.throws(call, (e: unknown) => {
    assert.ok(e instanceof ValidationError, `expected a ValidationError, got ${String(e)}`);
    assert.equal(e.field, field);
    assert.match(e.message, message);
    return true;
  });
}

describe('isolation options', () => {
  it('defineJob refuses a bad isolation or module, and registers nothing', () => {
    const run = () => 1;
    const bad: Array<[Record<string, unknown>, string, RegExp]> = [
      [{ isolation: 'thread' }, 'isolation', /must be 'worker' or 'process', got "thread"/],
      [{ isolation: 1 }, 'isolation', /must be 'worker' or 'process'/],
      [{ isolation: 'worker' }, 'module', /is required with isolation.*import\.meta\.url/],
      [{ isolation: 'process', module: './jobs.js' }, 'module', /file: URL or an absolute path/],
      [{ isolation: 'worker', module: 42 }, 'module', /file: URL or an absolute path/],
      [{ isolation: 'worker', module: 'https://example.com/jobs.js' }, 'module', /file: URL or an absolute path/],
      [{ isolation: 'worker', module: new URL('https://example.com/jobs.js') }, 'module', /must be a file: URL, got https:/],
      [{ isolation: 'worker', module: '/nonexistent/kiln/jobs.js' }, 'module', /\/nonexistent\/kiln\/jobs.js does not exist/],
      [{ module: import.meta.url }, 'module', /only applies with isolation/],
    ];
    for (const [options, field, message] of bad) {
      refused(() => defineJob({ name: 'iso-bad-options', run, ...options } as never), field, message);
    }
    assert.equal(registeredJob('iso-bad-options'), undefined, 'nothing was registered');
    const ok = defineJob({ name: 'iso-good-options', isolation: 'process', module: new URL(import.meta.url).pathname, run });
    assert.equal(ok.module, import.meta.url);
    assert.equal(ok.isolation, 'process');
  });

  it('the server refuses bad isolation and heartbeatThread options', () => {
    const storage = new MemoryStorage();
    refused(() => new BackgroundJobServer({ storage, isolation: 'big' as never }), 'isolation', /must be an object/);
    refused(() => new BackgroundJobServer({ storage, isolation: { poolSize: 0 } }), 'isolation.poolSize', /from 1 to 10000, got 0/);
    refused(() => new BackgroundJobServer({ storage, isolation: { poolSize: 1.5 } }), 'isolation.poolSize', /whole number/);
    refused(() => new BackgroundJobServer({ storage, isolation: { memoryLimitMb: 8 } }), 'isolation.memoryLimitMb', /from 16 to 1048576, got 8/);
    refused(() => new BackgroundJobServer({ storage, isolation: { memoryLimitMb: Number.NaN } }), 'isolation.memoryLimitMb', /got NaN/);
    refused(() => new BackgroundJobServer({ storage, heartbeatThread: 'yes' as never }), 'heartbeatThread', /must be true or false/);
  });
});

describe('Storage.describe()', () => {
  it('describes a storage built from a path, a URL or plain options, and not one built from an existing pool or client', async () => {
    assert.equal((new MemoryStorage() as Storage).describe?.(), undefined);
    const dir = mkdtempSync(join(tmpdir(), 'kiln-describe-'));
    const sqlite = new SqliteStorage(join(dir, 'kiln.db'), { busyTimeoutMs: 1234 });
    try {
      assert.deepEqual(sqlite.describe()?.args, [join(dir, 'kiln.db'), { busyTimeoutMs: 1234, pollIntervalMs: 25, synchronous: 'normal', walSizeLimitBytes: 64 * 1024 * 1024 }]);
    } finally {
      await sqlite.close();
      rmSync(dir, { recursive: true, force: true });
    }
    const pg = new PostgresStorage('postgres://u@db.invalid/app?schema=jobs', { poolSize: 7 });
    assert.deepEqual(pg.describe()?.args, ['postgres://u@db.invalid/app', { schema: 'jobs', poolSize: 2, listenerMinBackoffMs: 100, listenerMaxBackoffMs: 10_000 }]);
    await pg.close();
    const withFunction = new PostgresStorage({ connectionString: 'postgres://u@db.invalid/app', password: () => 'secret' }, {});
    assert.equal(withFunction.describe(), undefined, 'a config holding a function cannot be copied');
    await withFunction.close();
    const redis = new RedisStorage({ host: '127.0.0.1', port: 1, lazyConnect: true }, { prefix: 'app:' });
    assert.deepEqual(redis.describe()?.args, [{ host: '127.0.0.1', port: 1, lazyConnect: true }, { prefix: 'app:' }]);
    await redis.close();
    const client = new Redis({ host: '127.0.0.1', port: 1, lazyConnect: true });
    const fromClient = new RedisStorage(client);
    assert.equal(fromClient.describe(), undefined, 'an existing client cannot be opened elsewhere');
    await fromClient.close();
    client.disconnect();
  });
});
