/** Where the benchmark finds Postgres and Redis, and how it cleans a namespace up. */
import { readFileSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { Redis } from 'ioredis';
import pg from 'pg';

export const PG_URL = process.env['BENCH_PG_URL'] ?? process.env['KILN_TEST_PG_URL'] ?? 'postgres://postgres@127.0.0.1:5432/test';
export const REDIS_URL = process.env['BENCH_REDIS_URL'] ?? process.env['KILN_TEST_REDIS_URL'] ?? 'redis://127.0.0.1:6379';

export function redisHostPort(): { host: string; port: number } {
  const u = new URL(REDIS_URL);
  return { host: u.hostname || '127.0.0.1', port: Number(u.port || 6379) };
}

/** Runs one SQL statement on a short-lived connection. */
export async function pgQuery(text: string): Promise<pg.QueryResult> {
  const client = new pg.Client({ connectionString: PG_URL });
  await client.connect();
  try {
    return await client.query(text);
  } finally {
    await client.end();
  }
}

export async function dropSchema(schema: string): Promise<void> {
  if (!/^[a-z_][a-z0-9_]*$/.test(schema)) throw new Error(`bad schema name ${schema}`);
  await pgQuery(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
  await vacuumCatalog();
}

/** The system catalogs every schema created and dropped leaves dead rows in. */
const CATALOG = ['pg_attribute', 'pg_depend', 'pg_class', 'pg_index', 'pg_proc', 'pg_type', 'pg_constraint', 'pg_attrdef', 'pg_description'];

/**
 * Vacuums the catalog tables a dropped schema leaves dead rows in. Every run of every Postgres
 * system creates and drops a schema (tables, indexes, functions); with autovacuum off (as on CI's
 * server) the dead catalog rows pile up and each later run starts slower: measured, a Kiln
 * Postgres drain fell from 19k to 12.7k jobs/s over ~20 runs, and came back after a VACUUM. Runs
 * compared side by side must not depend on their order, so each drop is followed by this. Needs
 * the right to vacuum the catalogs (a superuser); without it the bench goes on unvacuumed.
 */
async function vacuumCatalog(): Promise<void> {
  try {
    await pgQuery(`VACUUM ${CATALOG.map((t) => `pg_catalog.${t}`).join(', ')}`);
  } catch {
    // Not allowed here: measurements may drift with the order of runs.
  }
}

/** Deletes every key matching `pattern` (SCAN + UNLINK). */
export async function deleteRedisKeys(pattern: string): Promise<void> {
  const redis = new Redis(REDIS_URL);
  try {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 5000);
      cursor = next;
      if (keys.length > 0) await redis.unlink(...keys);
    } while (cursor !== '0');
  } finally {
    await redis.quit();
  }
}

/** The installed version of a package, read from its package.json. */
export function packageVersion(name: string): string {
  const require = createRequire(import.meta.url);
  try {
    const main = require.resolve(name);
    let dir = dirname(main);
    for (let i = 0; i < 6; i++) {
      try {
        const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { name?: string; version?: string };
        if (pkg.name === name && pkg.version) return pkg.version;
      } catch {
        // not here: go up
      }
      dir = dirname(dir);
    }
  } catch {
    // not installed
  }
  return 'missing';
}

/**
 * CPU time (ms) used so far by the database server's processes on this machine — every
 * `postgres` process, or `redis-server` — read from /proc (Linux). Includes other clients' load,
 * so it is only meaningful on a quiet machine; 0 where it cannot be read.
 */
export function databaseCpuMs(backend: 'sqlite' | 'postgres' | 'redis'): number {
  if (backend === 'sqlite' || process.platform !== 'linux') return 0;
  const name = backend === 'postgres' ? 'postgres' : 'redis-server';
  let ticks = 0;
  for (const pid of readdirSync('/proc')) {
    if (!/^\d+$/.test(pid)) continue;
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const close = stat.lastIndexOf(')');
      const comm = stat.slice(stat.indexOf('(') + 1, close);
      if (comm !== name) continue;
      const fields = stat.slice(close + 2).split(' ');
      ticks += Number(fields[11]) + Number(fields[12]); // utime, stime (fields 14 and 15 of stat)
    } catch {
      // the process ended meanwhile
    }
  }
  return ticks * 10; // USER_HZ is 100 on Linux
}
