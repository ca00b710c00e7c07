import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteStorage, silentLogger, type Storage } from '../../src/index.js';
import { RedisStorage } from '../../src/storage/redis/index.js';
import { openPostgresStore } from '../fixtures/postgres-store.js';
import { deleteKeys } from '../fixtures/redis-helpers.js';
import { serviceUrl } from '../support/services.js';

/**
 * A backend that other processes can share: a fresh, empty store per `open()`, with the storage
 * URL another process opens it by (`storageFromUrl`), removed by `destroy()`.
 */
export interface ProcessTarget {
  name: 'sqlite' | 'postgres' | 'redis';
  open(): Promise<{ url: string; storage: Storage; destroy(): Promise<void> }>;
}

const sqlite: ProcessTarget = {
  name: 'sqlite',
  open: async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kiln-events-'));
    const file = join(dir, 'kiln.db');
    const storage = new SqliteStorage(file, { logger: silentLogger });
    await storage.migrate();
    return { url: `sqlite:${file}`, storage, destroy: async () => (await storage.close(), rmSync(dir, { recursive: true, force: true })) };
  },
};

function postgres(url: string): ProcessTarget {
  return {
    name: 'postgres',
    open: async () => {
      const store = await openPostgresStore(url);
      return { url: `${url}${url.includes('?') ? '&' : '?'}schema=${store.schema}`, storage: store.storage, destroy: () => store.destroy() };
    },
  };
}

function redis(url: string): ProcessTarget {
  return {
    name: 'redis',
    open: async () => {
      const prefix = `kiln-ev-${randomBytes(6).toString('hex')}:`;
      const storage = new RedisStorage(url, { prefix, logger: silentLogger });
      await storage.migrate();
      return {
        url: `${url}${url.includes('?') ? '&' : '?'}prefix=${encodeURIComponent(prefix)}`,
        storage,
        destroy: async () => (await storage.close(), await deleteKeys(url, `${prefix}*`)),
      };
    },
  };
}

/** The named targets, Postgres and Redis when their test server is set (under CI a missing one fails). */
export function processTarget(name: ProcessTarget['name']): ProcessTarget[] {
  if (name === 'sqlite') return [sqlite];
  const url = serviceUrl(name === 'postgres' ? 'KILN_TEST_PG_URL' : 'KILN_TEST_REDIS_URL');
  if (!url) return [];
  return [name === 'postgres' ? postgres(url) : redis(url)];
}
