import type pg from 'pg';

/**
 * Where `PostgresStorage` finds its database:
 * - a connection string (`postgres://user@host:5432/db`): the storage creates and owns a pool;
 * - a `pg.PoolConfig` (with `connectionString` or host/user/...): the same, with more settings;
 * - `{ pool }`: the application's own `pg.Pool`, shared with the application and never ended by
 *   `close()`.
 */
export type PostgresConnection = string | pg.PoolConfig | { pool: pg.Pool };

/** Where background problems (listener reconnects, pool errors) are reported. */
export interface PostgresLogger {
  warn(message: string, error?: unknown): void;
}

export interface PostgresStorageOptions {
  /**
   * The Postgres schema that holds every Kiln table and function. Default: the connection
   * string's `?schema=` (taken out before `pg` sees it), else `kiln`; this option wins over both.
   * Kiln owns the whole schema, so several applications (or tests) can share one database by
   * using one schema each, and uninstalling is `DROP SCHEMA ... CASCADE`. Lower-case letters,
   * digits and underscores, at most 58 characters (an unquoted identifier that still fits in the
   * 63-byte notification channel `kiln_<schema>`).
   */
  schema?: string;
  /**
   * Size of the pool the storage creates (ignored with `{ pool }`). Default 10, node-postgres's
   * own default: a server needs one connection per concurrent operation (the fetch loop, a
   * completion flush, heartbeat, schedulers, dashboard reads) and these are short, batched
   * statements, so more connections mostly add contention on the database side. The `LISTEN`
   * connection is separate and not counted here. The pool the storage creates also gets
   * `connectionTimeoutMillis` 10 s and TCP keep-alive, unless the config given sets them.
   */
  poolSize?: number;
  /**
   * Where background problems are reported. Default: `console.warn` with a `[kiln:postgres]`
   * prefix. They are never thrown: a Postgres restart must not crash the process.
   */
  logger?: PostgresLogger;
  /**
   * How long the `LISTEN` connection waits before reconnecting after it dropped: the first wait,
   * doubled on every failure up to `listenerMaxBackoffMs`. Defaults 100 ms and 10 s: quick after
   * a blip, gentle on a database that stays down. Workers keep polling meanwhile, and a
   * reconnect wakes every subscriber once (`{ type: 'enqueued', queue: '*' }`), since
   * notifications sent while disconnected are lost.
   */
  listenerMinBackoffMs?: number;
  listenerMaxBackoffMs?: number;
}

export const DEFAULT_SCHEMA = 'kiln';
export const DEFAULT_POOL_SIZE = 10;
/** How long a pool the storage creates waits for a new connection before the call rejects. */
export const DEFAULT_CONNECT_TIMEOUT_MS = 10_000;
export const DEFAULT_LISTENER_MIN_BACKOFF_MS = 100;
export const DEFAULT_LISTENER_MAX_BACKOFF_MS = 10_000;

export const consoleLogger: PostgresLogger = {
  warn(message, error) {
    if (error === undefined) console.warn(`[kiln:postgres] ${message}`);
    else console.warn(`[kiln:postgres] ${message}:`, error instanceof Error ? error.message : error);
  },
};

const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,57}$/;

/** Checks a schema name; it is interpolated into SQL, so only plain identifiers pass. */
export function checkSchema(schema: string): string {
  if (!SCHEMA_NAME.test(schema)) {
    throw new Error(
      `Invalid Postgres schema name ${JSON.stringify(schema)}: use lower-case letters, digits and underscores (at most 58)`,
    );
  }
  return schema;
}

/** The notification channel of a schema: every storage on that schema listens and sends here. */
export function channelOf(schema: string): string {
  return `kiln_${schema}`;
}
