/**
 * The storage contract: the one seam between Kiln's engine (client, server, dashboard) and a
 * database, cut by role. A backend lives in its own folder under `src/storage/`, implements each
 * role in a file of its own, and is correct when it passes the shared conformance suite in
 * `src/storage/conformance/`.
 *
 * The operations are coarse and job-level (not Hangfire's sets/lists/hashes) so that each backend
 * can serve one call with one round trip: one SQL statement batch, one Lua script, one SQLite
 * write transaction. Every method may be called concurrently from many servers and processes.
 *
 * A feature that needs a new storage operation adds it to one role here, one conformance file,
 * and one role file per backend.
 */
import type { JobEventChannel } from './events.js';
import type { JobStore } from './jobs.js';
import type { Liveness } from './liveness.js';
import type { JobLogStore } from './logs.js';
import type { Maintenance } from './maintenance.js';
import type { MonitoringApi } from './monitoring.js';
import type { Notifications } from './notifications.js';
import type { QueueControl } from './queues.js';
import type { RecurringStore } from './recurring.js';
import type { Json } from './model.js';

export * from './model.js';
export type * from './jobs.js';
export type * from './maintenance.js';
export type * from './recurring.js';
export type * from './monitoring.js';
export type * from './notifications.js';
export type * from './liveness.js';
export type * from './queues.js';
export * from './events.js';
export * from './logs.js';

/**
 * How to open another connection to a storage in a worker thread or a child process, where the
 * storage object itself cannot go: `new (await import(module))[export](...args)`, with the
 * opener's `logger` added to the last argument (the backend's options object). Plain JSON, so it
 * crosses a `postMessage` or a command line.
 */
export interface StorageDescriptor {
  /** The `file:` URL of the module that exports the storage class. */
  module: string;
  /** The name of that export. */
  export: string;
  /** The constructor's arguments; the last is the options object the opener adds `logger` to. */
  args: Json[];
}

/** What every backend has besides its roles: schema set-up, closing, and describing itself. */
export interface StorageLifecycle {
  /** Creates the schema or scripts if needed. Called by the engine before first use; idempotent. */
  migrate(): Promise<void>;
  close(): Promise<void>;
  /**
   * How to open another connection to this same store from another thread or process (see
   * `StorageDescriptor`), or undefined when that cannot be said in JSON: a store that lives in
   * this process only (memory), or one built from something that cannot be copied (an
   * application's own `pg.Pool` or ioredis client, a config holding functions or buffers).
   * The server's heartbeat runs in a worker thread of its own through it; without it, on the
   * main thread. Optional: a storage that lacks it is treated as undefined.
   */
  describe?(): StorageDescriptor | undefined;
}

/** The whole contract: what a `BackgroundJobServer` and a `JobClient` need. */
export interface Storage
  extends StorageLifecycle,
    JobStore,
    Maintenance,
    RecurringStore,
    QueueControl,
    MonitoringApi,
    Notifications,
    Liveness,
    JobEventChannel,
    JobLogStore {}
