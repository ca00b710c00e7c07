import { randomUUID } from 'node:crypto';
import type { JobRecord, NewJob, Storage, StateName } from '../contract/index.js';

/**
 * How the conformance suite gets a backend: a fresh, empty store for each test, and more
 * connections to the same store (other "processes") for the concurrency cases.
 */
export interface ConformanceTarget {
  /** Shown in test names: `memory`, `sqlite`, `postgres`, `redis`. */
  name: string;
  /** A fresh, empty, migrated store. */
  open(): Promise<ConformanceStore>;
}

export interface ConformanceStore {
  storage: Storage;
  /** Another connection to the same store, as a second server process would have. */
  connect(): Promise<Storage>;
  /** Closes every connection and drops the store. */
  destroy(): Promise<void>;
  /**
   * For the liveness cases: takes the liveness mark of `serverId` in another process (or, for a
   * networked backend, at least on other connections), as another server would. Resolves with
   * `null` when that holder got no mark (`holdLiveness` returned null: the backend has no
   * liveness, or not on this platform). Absent: the backend cannot lose a holder without losing
   * the store (memory), and the cases that need one are skipped.
   */
  holdElsewhere?(serverId: string): Promise<RemoteHolder | null>;
  /**
   * How many job events the store has published so far, where the backend can tell (a counter,
   * a sequence): lets the suite prove that nothing is published while nobody listens. Optional;
   * without it that case checks only what a late listener receives.
   */
  eventsPublished?(): Promise<number>;
}

/** A liveness mark held by another process, which a test can pause, slow down or kill. */
export interface RemoteHolder {
  /** Blocks the holder's event loop for `ms` (a busy loop); resolves once the block has begun. */
  pause(ms: number): Promise<void>;
  /**
   * Makes the storage slow for `ms`, from the holder's side, for what a liveness check reads (a
   * lock held on it: SQLite's write lock, a Postgres table lock, Redis `CLIENT PAUSE`); resolves
   * once the stall has begun.
   */
  stall(ms: number): Promise<void>;
  /** Ends the holder abruptly (SIGKILL); resolves once it is gone. */
  kill(): Promise<void>;
}

/** A fixed epoch for tests: 2026-01-01T00:00:00Z. */
export const T0 = Date.UTC(2026, 0, 1);

/** A job to insert, with defaults for everything a test does not care about. */
export function newJob(overrides: Partial<NewJob> & { state?: NewJob['state'] } = {}): NewJob {
  const state = overrides.state ?? { name: 'enqueued' as StateName, reason: 'test', at: T0 };
  return {
    id: randomUUID(),
    name: 'test-job',
    queue: 'default',
    args: '{"n":1}',
    createdAt: T0,
    parameters: {},
    ...overrides,
    state,
  };
}

/** Runs `fn` with a store, destroying it afterwards whatever happens. */
export async function withStore(target: ConformanceTarget, fn: (store: ConformanceStore) => Promise<void>): Promise<void> {
  const store = await target.open();
  try {
    await fn(store);
  } finally {
    await store.destroy();
  }
}

/**
 * Claims until a fetch comes back empty, `batch` jobs at a time, all at `now`; returns every job
 * claimed, in claim order.
 */
export async function claimAll(storage: Storage, queues: string[], batch: number, now: number, serverId = 's'): Promise<JobRecord[]> {
  const all: JobRecord[] = [];
  for (;;) {
    const got = await storage.fetch({ queues, max: batch, serverId, leaseMs: 60_000, now });
    if (got.length === 0) return all;
    all.push(...got);
  }
}

/** Completes jobs a worker holds (`processing` under `serverId`); asserts every change applied. */
export async function complete(storage: Storage, ids: string[], now: number, serverId = 's'): Promise<void> {
  if (ids.length === 0) return;
  const applied = await storage.transition(
    ids.map((id) => ({ id, expectStates: ['processing' as const], expectServerId: serverId, to: { name: 'succeeded' as const, at: now } })),
    now,
  );
  if (!applied.every(Boolean)) throw new Error(`a completion did not apply: ${JSON.stringify(applied)}`);
}

/** The largest number of `times` (sorted ascending) in any half-open window of `ms`. */
export function busiestWindow(times: readonly number[], ms: number): number {
  let most = 0;
  for (let i = 0, j = 0; i < times.length; i++) {
    while (times[i]! - times[j]! >= ms) j++;
    most = Math.max(most, i - j + 1);
  }
  return most;
}

/**
 * Resolves once `check` returns true, checking again each time `changed` is called (a listener
 * heard something); fails after `ms`. The timer also keeps the event loop alive while the only
 * other thing pending is a backend's `unref()`ed poll.
 */
export function until(what: string, check: () => boolean, ms = 10_000): { promise: Promise<void>; changed: () => void } {
  let changed: () => void = () => {};
  const promise = new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms);
    changed = () => {
      if (!check()) return;
      clearTimeout(timer);
      resolve();
    };
  });
  changed();
  return { promise, changed };
}
