import type pg from 'pg';
import { errorMessage } from '../../../errors.js';
import { consoleLogger, type Logger } from '../../../logger.js';
import { loadPg, withConnection } from '../context.js';
import { checkSchema, DEFAULT_SCHEMA, type PostgresConnection } from '../options.js';
import { MIGRATIONS } from './index.js';

/** Something that runs SQL: a `pg.Client` or a checked-out `pg.PoolClient`. */
export interface SqlClient {
  query(text: string, values?: unknown[]): Promise<pg.QueryResult>;
}

/**
 * Applies the missing migrations on `client`, in one transaction under a transaction-scoped
 * advisory lock, so servers starting together wait for one another instead of racing. Returns
 * the versions it applied.
 */
export async function migrateSchema(client: SqlClient, schema: string): Promise<number[]> {
  checkSchema(schema);
  const s = `"${schema}"`;
  const applied: number[] = [];
  await client.query('BEGIN');
  try {
    await client.query(`SELECT pg_advisory_xact_lock(hashtext('kiln.migrate'), hashtext($1))`, [schema]);
    await client.query(`CREATE SCHEMA IF NOT EXISTS ${s}`);
    await client.query(
      `CREATE TABLE IF NOT EXISTS ${s}.migrations (version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())`,
    );
    const done = new Set(
      (await client.query(`SELECT version FROM ${s}.migrations`)).rows.map((r: { version: number }) => r.version),
    );
    for (const m of MIGRATIONS) {
      if (done.has(m.version)) continue;
      await client.query(m.up(schema));
      await client.query(`INSERT INTO ${s}.migrations (version, name) VALUES ($1, $2)`, [m.version, m.name]);
      applied.push(m.version);
    }
    await client.query('COMMIT');
  } catch (err) {
    await client.query('ROLLBACK').catch(() => {});
    throw err;
  }
  return applied;
}

/**
 * The CLI's entry point: applies Kiln's migrations to a database and returns the versions
 * applied. With a connection string or config it opens and closes its own single connection;
 * with `{ pool }` it borrows one connection of that pool. `logger` (default `consoleLogger()`)
 * hears of a connection lost meanwhile.
 */
export async function migrate(
  connection: PostgresConnection,
  options: { schema?: string; logger?: Logger } = {},
): Promise<number[]> {
  const schema = checkSchema(options.schema ?? DEFAULT_SCHEMA);
  const logger = options.logger ?? consoleLogger();
  if (typeof connection === 'object' && connection !== null && 'pool' in connection) {
    return withConnection(connection.pool, logger, 'while migrating', (client) => migrateSchema(client, schema));
  }
  const pg = loadPg();
  const client = new pg.Client(typeof connection === 'string' ? { connectionString: connection } : connection);
  client.on('error', (err) => logger.warn('postgres: connection lost while migrating', { error: errorMessage(err) }));
  await client.connect();
  try {
    return await migrateSchema(client, schema);
  } finally {
    await client.end().catch(() => {});
  }
}
