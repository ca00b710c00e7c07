import type { Logger } from '../logger.js';
import type { Storage } from './contract/index.js';
import { MemoryStorage } from './memory/index.js';
import { PostgresStorage } from './postgres/index.js';
import { RedisStorage } from './redis/index.js';
import { SqliteStorage } from './sqlite/index.js';
import { parseStorageUrl } from './url.js';

/** Options of `storageFromUrl`. */
export interface StorageFromUrlOptions {
  /**
   * Where the storage reports background problems (Postgres listener and pool errors, Redis
   * connection losses). Default: each backend's own (the console).
   */
  logger?: Logger;
}

/**
 * The storage a URL names, for applications configured from the environment:
 *
 * ```ts
 * configure({ storage: storageFromUrl(process.env.KILN_STORAGE ?? 'sqlite:./kiln.db') });
 * ```
 *
 * `postgres://…?schema=app` is a `PostgresStorage` on schema `app` (default `kiln`),
 * `redis://…?prefix=app:` a `RedisStorage` with that key prefix (default `kiln:`),
 * `sqlite:./kiln.db` or a plain path a `SqliteStorage`, `memory:` a `MemoryStorage`. The URL is
 * read exactly as `new PostgresStorage(url)`, `new RedisStorage(url)` and the `kiln` command read
 * it. An unknown scheme is a `ValidationError`. Nothing connects (and no driver is loaded) until
 * the storage is first used.
 */
export function storageFromUrl(url: string, options: StorageFromUrlOptions = {}): Storage {
  const location = parseStorageUrl(url);
  const logger = options.logger;
  switch (location.kind) {
    case 'postgres':
      return new PostgresStorage(url.trim(), logger ? { logger } : {});
    case 'redis':
      return new RedisStorage(url.trim(), logger ? { logger } : {});
    case 'sqlite':
      return new SqliteStorage(location.path, logger ? { logger } : {});
    case 'memory':
      return new MemoryStorage();
  }
}
