import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';
import Database from 'better-sqlite3';
import type { NewJob, StorageEvent } from '../../src/storage/contract/index.js';
import { SCHEMA_VERSION } from '../../src/storage/sqlite/schema.js';
import { SqliteStorage } from '../../src/storage/sqlite/index.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const fixture = fileURLToPath(new URL('../fixtures/sqlite-child.ts', import.meta.url));

/** A child process running the fixture, with its stdout lines. */
interface Child {
  proc: ChildProcess;
  ready: Promise<void>;
  /** The last stdout line (the result) once the child exited with code 0. */
  result: Promise<string>;
}

function startChild(file: string, mode: 'fetch' | 'migrate' | 'enqueue', name: string): Child {
  const proc = spawn(process.execPath, ['--import', 'tsx', fixture, file, mode, name], {
    cwd: root,
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  let markReady: () => void = () => {};
  const ready = new Promise<void>((resolve) => (markReady = resolve));
  proc.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
    out += chunk;
    if (out.startsWith('ready\n')) markReady();
  });
  proc.stderr!.setEncoding('utf8').on('data', (chunk: string) => (err += chunk));
  const result = new Promise<string>((resolve, reject) => {
    proc.on('error', reject);
    proc.on('exit', (code) => {
      if (code === 0) resolve(out.trim().split('\n').at(-1) ?? '');
      else reject(new Error(`${name} exited with ${code}: ${err}`));
    });
  });
  // A child that dies before saying ready must not leave the test waiting for ever.
  result.catch(() => markReady());
  return { proc, ready, result };
}

/** Starts `count` children, waits until all are ready, then releases them at the same moment. */
async function runTogether(file: string, mode: 'fetch' | 'migrate' | 'enqueue', count: number): Promise<string[]> {
  const children = Array.from({ length: count }, (_, i) => startChild(file, mode, `p${i}`));
  try {
    await Promise.all(children.map((c) => c.ready));
    for (const c of children) c.proc.stdin!.end('go\n');
    return await Promise.all(children.map((c) => c.result));
  } finally {
    for (const c of children) if (c.proc.exitCode === null) c.proc.kill('SIGKILL');
  }
}

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

function tempFile(): { dir: string; file: string } {
  const dir = mkdtempSync(join(tmpdir(), 'kiln-sqlite-proc-'));
  return { dir, file: join(dir, 'kiln.db') };
}

function job(queue: string, now: number): NewJob {
  return {
    id: randomUUID(),
    name: 'test-job',
    queue,
    args: '{}',
    state: { name: 'enqueued', reason: 'test', at: now },
    createdAt: now,
    parameters: {},
  };
}

describe('sqlite: several OS processes on one file', () => {
  it('3 processes fetching from one file claim every job exactly once', async (t) => {
    const { dir, file } = tempFile();
    const storage = new SqliteStorage(file);
    try {
      const total = 6000;
      const now = Date.now();
      const jobs = Array.from({ length: total }, () => job('q', now));
      await storage.createJobs(jobs, { now });

      const results = await runTogether(file, 'fetch', 3);
      const claimedBy = new Map<string, string>();
      results.forEach((line, i) => {
        const { claimed } = JSON.parse(line) as { claimed: string[] };
        for (const id of claimed) {
          assert.equal(claimedBy.has(id), false, `job ${id} claimed by ${claimedBy.get(id)} and p${i}`);
          claimedBy.set(id, `p${i}`);
        }
      });
      assert.equal(claimedBy.size, total);
      for (const j of jobs) assert.ok(claimedBy.has(j.id), `job ${j.id} was never claimed`);

      const stats = await storage.statistics();
      assert.equal(stats.states.succeeded, total);
      assert.equal(stats.states.processing, 0);
      assert.equal(stats.states.enqueued, 0);
      assert.equal(stats.succeededTotal, total);
      const sample = await storage.getJob(jobs[0]!.id);
      assert.deepEqual(
        sample?.history.map((h) => h.name),
        ['enqueued', 'processing', 'succeeded'],
      );
      const perProcess = results.map((line) => (JSON.parse(line) as { claimed: string[] }).claimed.length);
      t.diagnostic(`claims per process: ${perProcess.join(', ')}`);
    } finally {
      await storage.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('3 processes opening a fresh file at once migrate it once and all write', async () => {
    const { dir, file } = tempFile();
    try {
      const results = await runTogether(file, 'migrate', 3);
      const ids = results.map((line) => (JSON.parse(line) as { created: string }).created);
      const storage = new SqliteStorage(file);
      try {
        for (const id of ids) assert.equal((await storage.getJob(id))?.state, 'enqueued');
        assert.equal((await storage.statistics()).states.enqueued, 3);
      } finally {
        await storage.close();
      }
      const db = new Database(file, { readonly: true });
      try {
        assert.equal(db.pragma('user_version', { simple: true }), SCHEMA_VERSION);
        assert.equal(db.pragma('journal_mode', { simple: true }), 'wal');
      } finally {
        db.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("wakes a subscriber when another process enqueues (PRAGMA data_version)", async () => {
    const { dir, file } = tempFile();
    const storage = new SqliteStorage(file, { pollIntervalMs: 10 });
    try {
      await storage.migrate();
      let woke: () => void = () => {};
      const wake = new Promise<void>((resolve) => (woke = resolve));
      const unsubscribe = await storage.subscribe((e: StorageEvent) => {
        if (e.type === 'enqueued' && e.queue === '*') woke();
      });
      const [line] = await runTogether(file, 'enqueue', 1);
      await within(wake);
      await unsubscribe();
      const { created } = JSON.parse(line!) as { created: string };
      const got = await storage.fetch({ queues: ['wake'], max: 5, serverId: 's', leaseMs: 1000, now: Date.now() });
      assert.deepEqual(
        got.map((j) => j.id),
        [created],
      );
    } finally {
      await storage.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
