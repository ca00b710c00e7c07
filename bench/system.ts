/**
 * The one interface every benchmarked system (Kiln on each backend, and each peer) implements,
 * so the workloads are written once and run the same against all of them.
 */

export type Backend = 'sqlite' | 'postgres' | 'redis';

/** The arguments of every benchmark job: a sequence number, nothing else. */
export interface Payload {
  i: number;
}

/** The keys of the per-key-limited drain: job i has key `i mod LIMITED_KEYS`. */
export const LIMITED_KEYS = 100;
/** How many jobs of one key may run at once in the per-key-limited drain. */
export const PER_KEY_LIMIT = 5;

/** Called when a job starts running (jobs are no-ops: the handler returns at once). */
export type Handler = (payload: Payload) => void;

/** A running worker / server; `stop()` shuts it down gracefully. */
export interface RunningWorker {
  stop(): Promise<void>;
}

/**
 * One system on one namespace (a fresh Postgres schema, Redis prefix or SQLite file). The parent
 * process calls `prepare()` once; child processes create the same namespace and only start workers.
 */
export interface System {
  /** Creates the namespace from scratch and runs the system's migrations. */
  prepare(): Promise<void>;
  /** Enqueues all the payloads with the system's bulk API (one call where it has one). */
  enqueueBulk(payloads: Payload[]): Promise<void>;
  /**
   * Enqueues the payloads as jobs limited to `PER_KEY_LIMIT` running at once per key (key
   * `i mod LIMITED_KEYS`), enforced across workers. Only systems whose spec has `limits`.
   */
  enqueueBulkLimited?(payloads: Payload[]): Promise<void>;
  /** Enqueues one job and resolves once it is stored. */
  enqueueOne(payload: Payload): Promise<void>;
  /** Creates jobs due at `at` (epoch ms), with the bulk API where there is one. */
  scheduleBulk(payloads: Payload[], at: number): Promise<void>;
  /** Starts a worker (server) running `concurrency` jobs at once. */
  startWorker(concurrency: number, handler: Handler): Promise<RunningWorker>;
  /** Jobs not yet completed (waiting, delayed or running): 0 after a full drain. */
  remaining(): Promise<number>;
  /** Closes this process's connections; the namespace stays. */
  close(): Promise<void>;
  /** Drops the namespace and closes the connections. */
  destroy(): Promise<void>;
}

export interface SystemSpec {
  /** Stable id used on the command line and in results, e.g. `kiln-postgres`. */
  id: string;
  /** Column header. */
  label: string;
  backend: Backend;
  kiln: boolean;
  /** The package version (Kiln: the repo's). */
  version(): string;
  /** The configuration used, for the results page. */
  config: string;
  /**
   * The drain rate this system cannot exceed by design, if it has one (pg-boss v10 fetches one
   * batch per polling interval): workloads cap their duration for it instead of waiting minutes.
   */
  slow?: boolean;
  /** Offers per-key concurrency limits (`System.enqueueBulkLimited`) in its free edition. */
  limits?: boolean;
  create(ns: string): System;
}
