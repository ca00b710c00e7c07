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

/** What every backend has besides its roles: schema set-up and closing. */
export interface StorageLifecycle {
  /** Creates the schema or scripts if needed. Called by the engine before first use; idempotent. */
  migrate(): Promise<void>;
  close(): Promise<void>;
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
