import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFile } from 'node:child_process';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import Database from 'better-sqlite3';
import { KilnError, ValidationError } from '../../src/errors.js';
import type { Logger } from '../../src/logger.js';
import { T0, newJob, runConformance } from '../../src/storage/conformance/index.js';
import { SCHEMA_VERSION } from '../../src/storage/sqlite/schema.js';
import { SqliteStorage } from '../../src/storage/sqlite/index.js';
import { MAX_RATE_WINDOW_MS, type StateName, type StorageEvent } from '../../src/storage/contract/index.js';
import { RemoteHolders } from '../fixtures/remote-holder.js';

const execFileP = promisify(execFile);
const sqliteModule = fileURLToPath(new URL('../../src/storage/sqlite/index.ts', import.meta.url));

runConformance({
  name: 'sqlite',
  async open() {
    const dir = mkdtempSync(join(tmpdir(), 'kiln-sqlite-'));
    const file = join(dir, 'kiln.db');
    const storage = new SqliteStorage(file);
    await storage.migrate();
    // Every "connection" is a separate SqliteStorage with its own SQLite connection to the file,
    // as a second server process would have.
    const others: SqliteStorage[] = [];
    const holders = new RemoteHolders(file);
    return {
      storage,
      holdElsewhere: (serverId) => holders.hold(serverId),
      async connect() {
        const other = new SqliteStorage(file);
        others.push(other);
        await other.migrate();
        return other;
      },
      async destroy() {
        await holders.killAll();
        for (const s of [storage, ...others]) await s.close();
        rmSync(dir, { recursive: true, force: true });
      },
      // The events table's AUTOINCREMENT high-water mark: every event ever written, pruned or not.
      async eventsPublished() {
        const db = new Database(file, { readonly: true });
        try {
          return db.prepare<[], number>(`SELECT coalesce((SELECT seq FROM sqlite_sequence WHERE name = 'kiln_events'), 0)`).pluck().get() ?? 0;
        } finally {
          db.close();
        }
      },
    };
  },
});

/**
 * Waits for `promise`, failing after `ms`. The timer also keeps the event loop alive while the
 * only other thing pending is the storage's `unref()`ed poll.
 */
async function within<T>(promise: Promise<T>, ms = 10_000): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`condition not met within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([promise, deadline]);
  } finally {
    clearTimeout(timer);
  }
}

/** Runs `fn` with a fresh file, removed afterwards. */
async function withFile(fn: (file: string) => Promise<void>): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'kiln-sqlite-'));
  try {
    await fn(join(dir, 'kiln.db'));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('sqlite: specifics', () => {
  it('works without migrate(), keeps data across reopen, and refuses calls once closed', () =>
    withFile(async (file) => {
      const first = new SqliteStorage(file);
      assert.equal(await first.getJob('nope'), null);
      const j = newJob();
      await first.createJobs([j], { now: T0 });
      await first.migrate();
      await first.migrate();
      await first.close();
      await first.close();
      await assert.rejects(first.getJob(j.id), /closed/);

      const second = new SqliteStorage(file);
      try {
        assert.equal((await second.getJob(j.id))?.state, 'enqueued');
        assert.equal((await second.statistics()).states.enqueued, 1);
      } finally {
        await second.close();
      }
    }));

  it('rejects a duplicate job id without inserting any job of the call', () =>
    withFile(async (file) => {
      const storage = new SqliteStorage(file);
      try {
        const j = newJob();
        await storage.createJobs([j], { now: T0 });
        const fresh = newJob();
        await assert.rejects(storage.createJobs([fresh, { ...j }], { now: T0 }), /already exists/);
        assert.equal(await storage.getJob(fresh.id), null);
        assert.equal((await storage.statistics()).states.enqueued, 1);
      } finally {
        await storage.close();
      }
    }));

  it('maintenance drops rate starts no window counts any more, of keys no longer used too', () =>
    withFile(async (file) => {
      const storage = new SqliteStorage(file);
      const starts = () => {
        const db = new Database(file, { readonly: true });
        try {
          return db.prepare('SELECT scope, key FROM kiln_rate_starts ORDER BY scope, key').all();
        } finally {
          db.close();
        }
      };
      try {
        await storage.setQueueLimits('metered', { concurrency: null, rate: { max: 5, perMs: 1000 } });
        await storage.createJobs([newJob({ rateLimit: { key: 'tenant-gone', max: 5, perMs: 1000 } }), newJob({ queue: 'metered' })], { now: T0 });
        assert.equal((await storage.fetch({ queues: ['default', 'metered'], max: 5, serverId: 's', leaseMs: 60_000, now: T0 })).length, 2);
        assert.deepEqual(starts(), [
          { scope: 0, key: 'tenant-gone' },
          { scope: 1, key: 'metered' },
        ]);
        await storage.deleteExpired(T0 + MAX_RATE_WINDOW_MS - 1, 100);
        assert.equal(starts().length, 2, 'the longest window still counts them');
        await storage.deleteExpired(T0 + MAX_RATE_WINDOW_MS, 100);
        assert.deepEqual(starts(), []);
      } finally {
        await storage.close();
      }
    }));

  it('maintained counts always equal the rows, through every kind of change', () =>
    withFile(async (file) => {
      const storage = new SqliteStorage(file);
      await storage.migrate();
      const raw = new Database(file, { readonly: true });
      try {
        const check = async (step: string) => {
          const rows = raw.prepare('SELECT state, queue, count(*) AS n FROM kiln_jobs GROUP BY state, queue').all() as Array<{
            state: StateName;
            queue: string;
            n: number;
          }>;
          const stats = await storage.statistics();
          const expected: Record<string, number> = { enqueued: 0, scheduled: 0, awaiting: 0, processing: 0, succeeded: 0, failed: 0, deleted: 0 };
          for (const r of rows) expected[r.state]! += r.n;
          assert.deepEqual(stats.states, expected, step);
          const queues = new Map<string, { queue: string; enqueued: number; processing: number }>();
          for (const r of rows) {
            if (r.state !== 'enqueued' && r.state !== 'processing') continue;
            const q = queues.get(r.queue) ?? { queue: r.queue, enqueued: 0, processing: 0 };
            q[r.state] += r.n;
            queues.set(r.queue, q);
          }
          assert.deepEqual(
            await storage.queues(),
            [...queues.values()].sort((a, b) => a.queue.localeCompare(b.queue)),
            step,
          );
        };
        const a = Array.from({ length: 6 }, () => newJob({ queue: 'a' }));
        const b = Array.from({ length: 4 }, () => newJob({ queue: 'b' }));
        const later = newJob({ queue: 'b', state: { name: 'scheduled', at: T0 }, runAt: T0 + 10 });
        const child = newJob({ state: { name: 'awaiting', at: T0 }, parentId: a[0]!.id });
        await storage.createJobs([...a, ...b, later, child], { now: T0 });
        await check('created');
        await storage.fetch({ queues: ['a', 'b'], max: 8, serverId: 'S', leaseMs: 100, now: T0 });
        await check('fetched');
        await storage.transition(
          [
            { id: a[0]!.id, expectStates: ['processing'], expectServerId: 'S', to: { name: 'succeeded', at: T0 }, expireAt: T0 + 50 },
            { id: a[1]!.id, expectStates: ['processing'], to: { name: 'enqueued', at: T0 }, queue: 'c' },
            { id: a[2]!.id, expectStates: ['processing'], to: { name: 'failed', at: T0 } },
            { id: b[3]!.id, expectStates: ['enqueued'], to: { name: 'deleted', at: T0 }, expireAt: T0 + 60 },
            { id: child.id, expectStates: ['awaiting'], to: { name: 'enqueued', at: T0 } },
            { id: a[3]!.id, expectStates: ['enqueued'], to: { name: 'deleted', at: T0 } },
          ],
          T0,
        );
        await check('transitioned');
        await storage.enqueueDue(T0 + 100, 10);
        await check('due enqueued');
        await storage.releaseExpiredLeases(T0 + 101, 2);
        await check('leases released');
        await storage.announceServer({ id: 'S', name: 'S', workerCount: 1, queues: ['a'], startedAt: T0, heartbeatAt: T0 });
        await storage.removeDeadServers(T0 + 1000, T0 + 1000);
        await check('dead server removed');
        assert.equal(await storage.deleteExpired(T0 + 1000, 10), 2);
        await check('expired deleted');
      } finally {
        raw.close();
        await storage.close();
      }
    }));

  it('delivers precise events to every instance on the file', () =>
    withFile(async (file) => {
      const a = new SqliteStorage(file);
      const b = new SqliteStorage(file);
      try {
        const seen: StorageEvent[] = [];
        let notify: () => void = () => {};
        await a.subscribe((e) => {
          seen.push(e);
          notify();
        });
        const waitFor = (pred: (e: StorageEvent) => boolean) =>
          within(
            new Promise<void>((resolve) => {
              notify = () => {
                if (seen.some(pred)) resolve();
              };
              notify();
            }),
          );
        await b.createJobs([newJob({ queue: 'mail' })], { now: T0 });
        await waitFor((e) => e.type === 'enqueued' && e.queue === 'mail');
        // b's commit also moved a's data_version: a redundant wake-up for every queue follows.
        await waitFor((e) => e.type === 'enqueued' && e.queue === '*');
      } finally {
        await a.close();
        await b.close();
      }
    }));

  it('rejects a memory database and bad options with a ValidationError naming the field', () => {
    const field = (name: string) => (e: unknown) => e instanceof ValidationError && e.field === name;
    assert.throws(() => new SqliteStorage(':memory:'), /file path/);
    assert.throws(() => new SqliteStorage(':memory:'), field('path'));
    assert.throws(() => new SqliteStorage(42 as unknown as string), field('path'));
    assert.throws(() => new SqliteStorage('x.db', { busyTimeoutMs: -1 }), /busyTimeoutMs/);
    assert.throws(() => new SqliteStorage('x.db', { busyTimeoutMs: -1 }), field('options.busyTimeoutMs'));
    assert.throws(() => new SqliteStorage('x.db', { pollIntervalMs: 0 }), /pollIntervalMs/);
    assert.throws(() => new SqliteStorage('x.db', { walSizeLimitBytes: Number.NaN }), field('options.walSizeLimitBytes'));
    assert.throws(() => new SqliteStorage('x.db', { synchronous: 'off' as 'full' }), field('options.synchronous'));
    assert.throws(() => new SqliteStorage('x.db', { logger: { info() {} } as unknown as Logger }), field('options.logger'));
  });

  it('throws KilnErrors on purpose: closed, duplicate id, unknown state, a newer schema', () =>
    withFile(async (file) => {
      const storage = new SqliteStorage(file);
      const j = newJob();
      await storage.createJobs([j], { now: T0 });
      await assert.rejects(storage.createJobs([j], { now: T0 }), KilnError);
      await assert.rejects(
        storage.listJobs({ state: 'lost' as StateName, offset: 0, limit: 10 }),
        (e: unknown) => e instanceof ValidationError && e.field === 'state',
      );
      await storage.close();
      await assert.rejects(storage.getJob(j.id), KilnError);

      const raw = new Database(file);
      raw.pragma('user_version = 999');
      raw.close();
      const newer = new SqliteStorage(file);
      await assert.rejects(newer.migrate(), (e: unknown) => e instanceof KilnError && /schema version 999/.test(e.message));
      await newer.close();
    }));

  it('logs through the logger it is given: a fresh file logs its migration, an up-to-date one nothing', () =>
    withFile(async (file) => {
      const lines: Array<{ level: string; message: string; details?: Record<string, unknown> }> = [];
      const record = (level: string) => (message: string, details?: Record<string, unknown>) => {
        lines.push({ level, message, ...(details ? { details } : {}) });
      };
      const logger: Logger = { debug: record('debug'), info: record('info'), warn: record('warn'), error: record('error') };
      const first = new SqliteStorage(file, { logger });
      await first.migrate();
      await first.close();
      assert.deepEqual(lines, [
        { level: 'debug', message: 'migrated the SQLite schema', details: { file, from: 0, to: SCHEMA_VERSION } },
      ]);
      const second = new SqliteStorage(file, { logger });
      await second.migrate();
      await second.close();
      assert.equal(lines.length, 1);
    }));

  it('loads better-sqlite3 when the file is first used, not when SqliteStorage is imported or built', () =>
    withFile(async (file) => {
      // A child process: this test file has loaded better-sqlite3 itself.
      const script = `
        import { createRequire } from 'node:module';
        const require = createRequire(import.meta.url);
        const loaded = () => Object.keys(require.cache).some((k) => k.includes('/better-sqlite3/'));
        const { SqliteStorage } = await import(${JSON.stringify(sqliteModule)});
        const storage = new SqliteStorage(process.argv[1]);
        const built = loaded();
        await storage.migrate();
        console.log(JSON.stringify({ built, used: loaded() }));
        await storage.close();`;
      const { stdout } = await execFileP(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script, file]);
      assert.deepEqual(JSON.parse(stdout), { built: false, used: true });
    }));
});
