/**
 * The storages of the chaos suite and the faults each can suffer. SQLite is a file in a temp dir;
 * Postgres and Redis are private servers of the suite's own (test/support/private-servers.ts),
 * so a restart or a killed connection never reaches the shared servers of the other tests.
 *
 * A fault is injected by `inject()`, which resolves when it is lifted (the kill sent, the server
 * back up, the lock released): recovery is counted from then.
 */
import { fork } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import pg from 'pg';
import { silentLogger, storageFromUrl, type Storage } from '../../src/index.js';
import { withParam } from '../fixtures/remote-holder.js';
import type { FleetServer } from '../fleet/fleet.js';
import { PrivatePostgres, PrivateRedis } from '../support/private-servers.js';

export type BackendName = 'sqlite' | 'postgres' | 'redis';

export type FaultName =
  /** SIGKILL of one server process (of two or more) mid-drain. */
  | 'sigkill'
  /** `pg_ctl restart -m fast` of the private Postgres mid-drain. */
  | 'pg-restart'
  /** `pg_terminate_backend` of every Kiln session mid-drain. */
  | 'pg-terminate'
  /** Another session holds `LOCK TABLE jobs IN ACCESS EXCLUSIVE MODE` for `holdMs`. */
  | 'pg-lock'
  /** Connection exhaustion: another client takes every free connection slot for `holdMs`. */
  | 'pg-exhaust'
  /** SHUTDOWN SAVE of the private Redis and a new redis-server on the same port and data. */
  | 'redis-restart'
  /** CLIENT KILL of every Kiln connection (command, subscriber, heartbeat thread's). */
  | 'redis-client-kill'
  /** Another process holds SQLite's write lock (`BEGIN IMMEDIATE`) for `holdMs`. */
  | 'sqlite-lock';

/** The faults each backend can suffer, `sigkill` (which leaves one server fewer) last. */
export const FAULTS: Readonly<Record<BackendName, readonly FaultName[]>> = {
  sqlite: ['sqlite-lock', 'sigkill'],
  postgres: ['pg-terminate', 'pg-lock', 'pg-exhaust', 'pg-restart', 'sigkill'],
  redis: ['redis-client-kill', 'redis-restart', 'sigkill'],
};

/** One fresh data set on a backend: the URL its server processes open, and the test's own storage on it. */
export interface ChaosStore {
  url: string;
  /** SQLite file, Postgres schema or Redis key prefix. */
  namespace: string;
  storage: Storage;
  destroy(): Promise<void>;
}

/** What a fault acts on. */
export interface FaultTarget {
  store: ChaosStore;
  servers: FleetServer[];
  /** How long a held lock is held (sqlite-lock). */
  holdMs: number;
}

export interface ChaosBackend {
  readonly name: BackendName;
  /** The faults this backend can suffer (`FAULTS`). */
  readonly faults: readonly FaultName[];
  open(): Promise<ChaosStore>;
  /** Injects `fault`; resolves when it is lifted. */
  inject(fault: FaultName, target: FaultTarget): Promise<void>;
  /** Stops its private server, if it has one. */
  close(): Promise<void>;
}

/** SIGKILL of the first server still running; resolves once it is gone. */
async function sigkill(target: FaultTarget): Promise<void> {
  const victim = target.servers.find((s) => !s.exit);
  if (!victim) throw new Error('no server left to kill');
  const gone = once(victim.child, 'exit');
  victim.kill();
  await gone;
}

function unknownFault(backend: BackendName, fault: FaultName): never {
  throw new Error(`${backend} cannot suffer ${fault}`);
}

function sqliteBackend(): ChaosBackend {
  const dirs: string[] = [];
  return {
    name: 'sqlite',
    faults: FAULTS.sqlite,
    async open() {
      const dir = mkdtempSync(join(tmpdir(), 'kiln-chaos-'));
      dirs.push(dir);
      const url = join(dir, 'kiln.db');
      const storage = storageFromUrl(url, { logger: silentLogger });
      await storage.migrate();
      return { url, namespace: url, storage, destroy: async () => (await storage.close(), rmSync(dir, { recursive: true, force: true })) };
    },
    async inject(fault, target) {
      if (fault === 'sigkill') return sigkill(target);
      if (fault !== 'sqlite-lock') unknownFault('sqlite', fault);
      const holder = fork(join(import.meta.dirname, '..', 'fixtures', 'sqlite-lock-holder.mjs'), [target.store.url, String(target.holdMs)], {
        execArgv: [],
        stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      });
      const exited = once(holder, 'exit');
      await new Promise<void>((resolve, reject) => {
        holder.on('message', (m: { type: string }) => m.type === 'released' && resolve());
        void exited.then(() => reject(new Error('the lock holder exited before it released the lock')));
      });
      await exited;
    },
    async close() {
      for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
    },
  };
}

async function postgresBackend(): Promise<ChaosBackend> {
  const cluster = await PrivatePostgres.start();
  return {
    name: 'postgres',
    faults: FAULTS.postgres,
    async open() {
      const schema = `kiln_chaos_${randomBytes(6).toString('hex')}`;
      const url = withParam(cluster.url, 'schema', schema);
      const storage = storageFromUrl(url, { logger: silentLogger });
      await storage.migrate();
      return {
        url,
        namespace: schema,
        storage,
        async destroy() {
          await storage.close();
          const client = new pg.Client({ connectionString: cluster.url });
          await client.connect();
          await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`).finally(() => client.end());
        },
      };
    },
    async inject(fault, target) {
      if (fault === 'sigkill') return sigkill(target);
      if (fault === 'pg-restart') return cluster.restart();
      if (fault === 'pg-exhaust') return exhaustConnections(cluster.url, target.holdMs);
      if (fault !== 'pg-terminate' && fault !== 'pg-lock') unknownFault('postgres', fault);
      const admin = new pg.Client({ connectionString: cluster.url });
      await admin.connect();
      try {
        if (fault === 'pg-lock') {
          await admin.query('BEGIN');
          await admin.query(`LOCK TABLE "${target.store.namespace}".jobs IN ACCESS EXCLUSIVE MODE`);
          await new Promise((r) => setTimeout(r, target.holdMs));
          await admin.query('COMMIT');
          return;
        }
        // The cluster is the suite's own: every other client session is Kiln's.
        await admin.query(
          `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE pid <> pg_backend_pid() AND backend_type = 'client backend'`,
        );
      } finally {
        await admin.end();
      }
    },
    close: () => cluster.destroy(),
  };
}

/** Opens connections to `url`, 20 at a time, until the server refuses one; keeps them with their backend pids. */
async function takeFreeSlots(url: string, into: Array<{ client: pg.Client; pid: number }>): Promise<void> {
  // A bound far above any cluster's max_connections here: a server that never refuses is a bug of the fault.
  while (into.length < 1_000) {
    const tries = await Promise.allSettled(
      Array.from({ length: 20 }, async () => {
        const client = new pg.Client({ connectionString: url });
        client.on('error', () => {});
        try {
          await client.connect();
          return { client, pid: (await client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!.pid };
        } catch (error) {
          await client.end().catch(() => {});
          throw error;
        }
      }),
    );
    for (const t of tries) if (t.status === 'fulfilled') into.push(t.value);
    if (tries.some((t) => t.status === 'rejected')) return;
  }
  throw new Error('the private Postgres never refused a connection');
}

/**
 * Takes every free connection slot of the private cluster and holds them for `holdMs`: Kiln goes
 * on with the sessions its pools hold, and every connection it opens meanwhile (a pool growing,
 * the heartbeat thread's, a liveness mark retaken) is refused with "too many clients".
 */
async function exhaustConnections(url: string, holdMs: number): Promise<void> {
  const hogs: Array<{ client: pg.Client; pid: number }> = [];
  try {
    await takeFreeSlots(url, hogs);
    await new Promise((r) => setTimeout(r, holdMs));
  } finally {
    await Promise.all(hogs.map((h) => h.client.end().catch(() => {})));
  }
}

async function redisBackend(): Promise<ChaosBackend> {
  const server = await PrivateRedis.start();
  return {
    name: 'redis',
    faults: FAULTS.redis,
    async open() {
      const prefix = `kiln-chaos-${randomBytes(6).toString('hex')}:`;
      const url = withParam(server.url, 'prefix', prefix);
      const storage = storageFromUrl(url, { logger: silentLogger });
      await storage.migrate();
      return { url, namespace: prefix, storage, destroy: () => storage.close() };
    },
    async inject(fault, target) {
      if (fault === 'sigkill') return sigkill(target);
      if (fault === 'redis-restart') return server.restart();
      if (fault !== 'redis-client-kill') unknownFault('redis', fault);
      // The server is the suite's own: every other connection is Kiln's.
      const admin = new Redis(server.url);
      try {
        await admin.call('CLIENT', 'KILL', 'TYPE', 'normal', 'SKIPME', 'yes');
        await admin.call('CLIENT', 'KILL', 'TYPE', 'pubsub', 'SKIPME', 'yes');
      } finally {
        admin.disconnect();
      }
    },
    close: () => server.destroy(),
  };
}

/** Opens a backend (starting its private server). */
export async function openBackend(name: BackendName): Promise<ChaosBackend> {
  if (name === 'sqlite') return sqliteBackend();
  if (name === 'postgres') return postgresBackend();
  return redisBackend();
}
