/** A running server, as announced and kept alive by its heartbeat. */
export interface ServerRecord {
  id: string;
  /** Host name and process id, for people. */
  name: string;
  workerCount: number;
  queues: string[];
  startedAt: number;
  heartbeatAt: number;
}

/**
 * Maintenance: what the server's background processes do besides running jobs. Moving due
 * scheduled jobs, recovering expired leases, deleting expired jobs, keeping the server registry,
 * and named locks. The jobs that `enqueueDue`, `releaseExpiredLeases`, `removeServer` and
 * `removeDeadServers` put in a queue publish their `enqueued` events (see `events.ts`).
 */
export interface Maintenance {
  /** Moves due scheduled jobs to their queues; returns how many moved. */
  enqueueDue(now: number, limit: number): Promise<number>;
  /** When the earliest scheduled job becomes due, or null. */
  nextDueAt(): Promise<number | null>;
  /**
   * Requeues processing jobs whose lease has ended (crash recovery), each counted as interrupted
   * (see `INTERRUPTIONS_PARAMETER`); returns how many.
   */
  releaseExpiredLeases(now: number, limit: number): Promise<number>;
  /** Deletes jobs whose `expireAt` has passed, with their history and their log; returns how many. */
  deleteExpired(now: number, limit: number): Promise<number>;

  announceServer(server: ServerRecord): Promise<void>;
  /** Records a heartbeat; false if the server record is gone (it was declared dead). */
  heartbeat(serverId: string, now: number): Promise<boolean>;
  /** Removes a server and requeues the jobs it still held, each counted as interrupted (see `INTERRUPTIONS_PARAMETER`). */
  removeServer(serverId: string, now: number): Promise<void>;
  /**
   * Removes servers silent since before `heartbeatBefore` and requeues their jobs, each counted as
   * interrupted (see `INTERRUPTIONS_PARAMETER`); returns their ids.
   */
  removeDeadServers(heartbeatBefore: number, now: number): Promise<string[]>;

  /** Takes or extends (same owner) a named lock for `ttlMs`; false if another owner holds it. */
  acquireLock(resource: string, owner: string, ttlMs: number, now: number): Promise<boolean>;
  releaseLock(resource: string, owner: string): Promise<void>;
}
