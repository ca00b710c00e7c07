import { createHash } from 'node:crypto';
import type pg from 'pg';
import { ValidationError } from '../../errors.js';
import type { BackoffOptions } from '../../backoff.js';
import { consoleLogger, type Logger } from '../../logger.js';

/**
 * Where `PostgresStorage` finds its database:
 * - a connection string (`postgres://user@host:5432/db`): the storage creates and owns a pool;
 * - a `pg.PoolConfig` (with `connectionString` or host/user/...): the same, with more settings;
 * - `{ pool }`: the application's own `pg.Pool`, shared with the application and never ended by
 *   `close()`.
 */
export type PostgresConnection = string | pg.PoolConfig | { pool: pg.Pool };

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
   * Where background problems (listener reconnects, pool and connection errors) are reported, as
   * warnings. Default: `consoleLogger()`, because an unreachable database must be visible. They
   * are never thrown: a Postgres restart must not crash the process.
   */
  logger?: Logger;
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

const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,57}$/;

/** Checks a schema name; it is interpolated into SQL, so only plain identifiers pass. */
export function checkSchema(schema: unknown): string {
  if (typeof schema !== 'string' || !SCHEMA_NAME.test(schema)) {
    throw new ValidationError(
      'schema',
      `invalid Postgres schema name ${JSON.stringify(schema)}: use lower-case letters, digits and underscores (at most 58)`,
    );
  }
  return schema;
}

/** The notification channel of a schema: every storage on that schema listens and sends here. */
export function channelOf(schema: string): string {
  return `kiln_${schema}`;
}

/**
 * The job-event channel of a schema (`kiln_events_<schema>`; past Postgres's 63 bytes, the
 * schema's hash in its place): job events travel apart from wake-ups, to the listening processes only.
 */
export function eventChannelOf(schema: string): string {
  const channel = `kiln_events_${schema}`;
  return channel.length <= 63 ? channel : `kiln_events_${createHash('sha1').update(schema).digest('hex').slice(0, 20)}`;
}

/** Checks the connection argument's shape (the driver checks what is inside). */
export function checkConnection(connection: unknown): PostgresConnection {
  if (typeof connection === 'string' ? connection === '' : typeof connection !== 'object' || connection === null) {
    throw new ValidationError('connection', 'must be a connection string, a pg.PoolConfig or { pool }');
  }
  return connection as PostgresConnection;
}

/** `PostgresStorageOptions` with its defaults applied and checked. */
export interface PostgresSettings {
  schema: string;
  poolSize: number;
  logger: Logger;
  /** The `LISTEN` connection's reconnect back-off. */
  listenerBackoff: BackoffOptions;
}

/** Applies the defaults and checks every option; a bad one is a `ValidationError` naming it. */
/** `schemaFromUrl`: the connection string's `?schema=` (see `splitConnection`); `options.schema` wins over it. */
export function resolveOptions(options: PostgresStorageOptions, schemaFromUrl?: string): PostgresSettings {
  if (typeof options !== 'object' || options === null) throw new ValidationError('options', 'must be an object');
  const poolSize = options.poolSize ?? DEFAULT_POOL_SIZE;
  if (!Number.isInteger(poolSize) || poolSize < 1) {
    throw new ValidationError('poolSize', `must be a whole number of at least 1, got ${String(poolSize)}`);
  }
  const initialMs = positiveMs(options.listenerMinBackoffMs ?? DEFAULT_LISTENER_MIN_BACKOFF_MS, 'listenerMinBackoffMs');
  const maxMs = positiveMs(options.listenerMaxBackoffMs ?? DEFAULT_LISTENER_MAX_BACKOFF_MS, 'listenerMaxBackoffMs');
  if (maxMs < initialMs) {
    throw new ValidationError('listenerMaxBackoffMs', `must not be below listenerMinBackoffMs (${initialMs} ms)`);
  }
  const logger = options.logger ?? consoleLogger();
  if (typeof logger !== 'object' || logger === null || typeof logger.warn !== 'function') {
    throw new ValidationError('logger', 'must be a Logger (debug, info, warn, error)');
  }
  const schema = checkSchema(options.schema ?? schemaFromUrl ?? DEFAULT_SCHEMA);
  return { schema, poolSize, logger, listenerBackoff: { initialMs, maxMs } };
}

function positiveMs(value: unknown, field: string): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    throw new ValidationError(field, `must be a number of milliseconds above 0, got ${String(value)}`);
  }
  return value;
}
