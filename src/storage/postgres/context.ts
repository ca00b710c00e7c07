import { createHash } from 'node:crypto';
import type pg from 'pg';
import { StorageFullError, errorMessage } from '../../errors.js';
import type { Logger } from '../../logger.js';
import { loadDriver } from '../driver.js';
import { channelOf, DEFAULT_CONNECT_TIMEOUT_MS, type PostgresConnection, type PostgresSettings } from './options.js';
import { kilnTypes } from './rows.js';
import { storableValues } from './storable-text.js';

/** The `pg` module, loaded when the first storage is constructed (see `loadDriver`). */
export type PgDriver = typeof pg;

/** Loads `pg`; a `KilnError` naming the package when it is not installed. */
export function loadPg(): PgDriver {
  return loadDriver<PgDriver>('pg', 'PostgresStorage');
}

/**
 * A statement run by the storage. With a `name`, node-postgres prepares it once per connection
 * on first use and then only binds and executes it: the hot calls. Without one, Postgres plans it
 * afresh on every call with the current table sizes: the rare, dashboard and dynamic queries.
 */
export interface Statement {
  name?: string;
  text: string;
}

/** Something that runs queries: the pool, a checked-out client, or the application's `tx`. */
export interface Queryable {
  query(config: pg.QueryConfig): Promise<pg.QueryResult>;
}

/** Errors after which a whole statement can safely run again: it was rolled back. */
const RETRYABLE = new Set(['40P01' /* deadlock_detected */, '40001' /* serialization_failure */]);
export const UNIQUE_VIOLATION = '23505';
/** SQLSTATE disk_full: Postgres could not extend a file. */
const DISK_FULL = '53100';

/** The SQLSTATE of a driver error, if it has one. */
export function pgCode(err: unknown): string | undefined {
  return typeof err === 'object' && err !== null && 'code' in err ? String((err as { code: unknown }).code) : undefined;
}

/**
 * Runs a single-statement operation again (up to 5 times) when Postgres rolled it back for a
 * deadlock or a serialization failure. At once, without a back-off: Postgres has already waited
 * `deadlock_timeout` before choosing the victim, and the other side has gone on.
 */
export async function retrying<T>(fn: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn();
    } catch (err) {
      const code = pgCode(err);
      if (attempt >= 5 || code === undefined || !RETRYABLE.has(code)) throw err;
    }
  }
}

/**
 * Runs `fn` on one connection checked out of `pool`, logging (not throwing) the connection's
 * background errors meanwhile; a connection that failed is destroyed rather than reused.
 */
export async function withConnection<T>(
  pool: pg.Pool,
  logger: Logger,
  during: string,
  fn: (client: pg.PoolClient) => Promise<T>,
): Promise<T> {
  const client = await pool.connect();
  const onError = (err: Error) => logger.warn(`postgres: connection lost ${during}`, { error: errorMessage(err) });
  client.on('error', onError);
  let failed = false;
  try {
    return await fn(client);
  } catch (err) {
    failed = true;
    throw err;
  } finally {
    client.off('error', onError);
    client.release(failed);
  }
}

/**
 * What every role of the Postgres backend shares: the pool, the schema and its notification
 * channel, the logger, how a statement is named and run, and the transaction helper.
 *
 * Resilience: pool errors are logged, never thrown, so a Postgres restart does not crash the
 * process; while the database is down every call rejects, and works again once it is back.
 */
export class PostgresContext {
  /** The loaded `pg` module. */
  readonly driver: PgDriver;
  readonly schema: string;
  /** The schema quoted for SQL: `"kiln"`. */
  readonly s: string;
  /** The `LISTEN/NOTIFY` channel of the schema. */
  readonly channel: string;
  readonly pool: pg.Pool;
  readonly logger: Logger;
  private readonly ownsPool: boolean;
  private readonly types: pg.CustomTypesConfig;
  /** Prefix of prepared statement names: a hash of the schema (see `named`). */
  private readonly tag: string;
  private readonly onPoolError = (err: Error): void => {
    this.logger.warn('postgres: idle connection error (server restarting?)', { error: errorMessage(err) });
  };

  constructor(connection: PostgresConnection, settings: PostgresSettings) {
    this.driver = loadPg();
    this.schema = settings.schema;
    this.s = `"${settings.schema}"`;
    this.channel = channelOf(settings.schema);
    this.logger = settings.logger;
    this.types = kilnTypes(this.driver.types);
    this.tag = `k${createHash('sha1').update(settings.schema).digest('hex').slice(0, 10)}_`;
    if (typeof connection === 'object' && connection !== null && 'pool' in connection) {
      this.pool = connection.pool;
      this.ownsPool = false;
    } else {
      const config: pg.PoolConfig = typeof connection === 'string' ? { connectionString: connection } : connection;
      this.pool = new this.driver.Pool({
        max: settings.poolSize,
        application_name: 'kiln',
        // A call rejects after 10 s instead of waiting forever for an unreachable database, and
        // TCP keep-alive notices a connection that died silently (a failover, a dropped route).
        connectionTimeoutMillis: DEFAULT_CONNECT_TIMEOUT_MS,
        keepAlive: true,
        ...config,
      });
      this.ownsPool = true;
    }
    this.pool.on('error', this.onPoolError);
  }

  /**
   * A prepared statement. Its name carries a hash of the schema, since one pool shared by two
   * schemas must not mix their prepared statements.
   */
  named(key: string, text: string): Statement {
    return { name: this.tag + key, text };
  }

  /** A statement planned on every call. */
  plain(text: string): Statement {
    return { text };
  }

  /**
   * Runs a statement. Every text parameter is made storable first (`storableValues`: U+0000 and
   * lone surrogates, which Postgres refuses, as visible escapes), and a full disk (SQLSTATE 53100)
   * is a `StorageFullError` naming this storage.
   */
  async run<R extends pg.QueryResultRow>(
    statement: Statement,
    values: unknown[],
    on: Queryable = this.pool,
  ): Promise<pg.QueryResult<R>> {
    const config: pg.QueryConfig = { text: statement.text, values: storableValues(values), types: this.types };
    if (statement.name !== undefined) config.name = statement.name;
    try {
      return (await on.query(config)) as pg.QueryResult<R>;
    } catch (err) {
      if (pgCode(err) !== DISK_FULL) throw err;
      throw new StorageFullError(`PostgresStorage(schema ${this.schema})`, `${errorMessage(err)} (nothing of this call was written)`, { cause: err });
    }
  }

  /** Runs `fn` in a transaction on one pooled connection, destroying the connection on failure. */
  inTransaction<T>(fn: (client: pg.PoolClient) => Promise<T>): Promise<T> {
    return withConnection(this.pool, this.logger, 'during a transaction', async (client) => {
      try {
        await client.query('BEGIN');
        const result = await fn(client);
        await client.query('COMMIT');
        return result;
      } catch (err) {
        await client.query('ROLLBACK').catch(() => {});
        throw err;
      }
    });
  }

  /** Ends the pool if the storage created it; an application's own pool stays open. */
  async close(): Promise<void> {
    if (this.ownsPool) await this.pool.end();
    this.pool.off('error', this.onPoolError);
  }
}
