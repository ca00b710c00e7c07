import { randomUUID } from 'node:crypto';
import type { NewJob, Storage, StateName } from '../contract/index.js';

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
   * How many job events the store has published so far, where the backend can tell (a counter,
   * a sequence): lets the suite prove that nothing is published while nobody listens. Optional;
   * without it that case checks only what a late listener receives.
   */
  eventsPublished?(): Promise<number>;
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
