import { ValidationError } from '../errors.js';
import type { Logger } from '../logger.js';
import type { Storage } from '../storage/contract/index.js';
import { PostgresStorage } from '../storage/postgres/index.js';
import { RedisStorage } from '../storage/redis/index.js';
import { SqliteStorage } from '../storage/sqlite/index.js';

/**
 * Opens the storage a CLI command names: `postgres://…` (or `postgresql://…`, schema from
 * `?schema=` else `kiln`), `redis://…` / `rediss://…` (prefix from `?prefix=` else `kiln:`), or a
 * SQLite file (`sqlite:./kiln.db`, or any other text as a path). Default: `KILN_STORAGE`, else
 * `./kiln.db`, the same default as a server started without options.
 */
export function storageFromUrl(url: string | undefined, logger: Logger): Storage {
  const target = url ?? process.env['KILN_STORAGE'] ?? './kiln.db';
  if (/^postgres(ql)?:\/\//.test(target)) {
    const parsed = new URL(target);
    const schema = parsed.searchParams.get('schema') ?? undefined;
    parsed.searchParams.delete('schema');
    return new PostgresStorage(parsed.toString(), {
      ...(schema ? { schema } : {}),
      logger,
    });
  }
  if (/^rediss?:\/\//.test(target)) {
    const parsed = new URL(target);
    const prefix = parsed.searchParams.get('prefix') ?? undefined;
    parsed.searchParams.delete('prefix');
    return new RedisStorage(parsed.toString(), { ...(prefix ? { prefix } : {}), logger });
  }
  const path = target.startsWith('sqlite:') ? target.slice('sqlite:'.length) : target;
  if (path === '') throw new ValidationError('--storage', 'is empty');
  return new SqliteStorage(path);
}
