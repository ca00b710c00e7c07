import type { Json } from './model.js';

/**
 * Job lifecycle events: what happened to a job, told to every process sharing the storage that
 * listens (`JobEventChannel.subscribeJobEvents`). The engine's `JobEvents` and `waitFor` sit on
 * top of them.
 *
 * Who produces them: the storage, in the same atomic write as the change it reports, because
 * only then do they keep the order of the job's states across processes (a client's `enqueued`
 * published after its insert could otherwise arrive after the server's `started`), and because
 * some changes happen only inside the storage (`enqueueDue` moving a scheduled job, lease and
 * dead-server recovery). The event's content comes from the change the engine gave, so the
 * storage decides nothing: `src/storage/job-events.ts` builds every event from a write's inputs
 * and the job's row, the same for every backend.
 *
 * | event       | published by                                                                |
 * | ----------- | --------------------------------------------------------------------------- |
 * | `enqueued`  | `createJobs` / `advanceRecurring` (jobs created `enqueued`), `transition` to `enqueued`, `enqueueDue`, `releaseExpiredLeases`, `removeServer` / `removeDeadServers` (the jobs they requeue) |
 * | `started`   | `fetch` (each claimed job), `transition` to `processing`                    |
 * | `progress`  | `mergeParameters` whose parameters hold `progress` (what `ctx.progress()` writes) |
 * | `succeeded` | `transition` to `succeeded`                                                 |
 * | `failed`    | `transition` to `failed`, or through `failed` (`passedThrough`) to `scheduled` (a retry) or `deleted` |
 * | `retrying`  | `transition` through `failed` to `scheduled`, after its `failed`            |
 * | `deleted`   | `transition` to `deleted`                                                   |
 *
 * Jobs created `scheduled` or `awaiting`, a reschedule, and the expiration of a job publish
 * nothing: a job's `enqueued` comes when it becomes due.
 */
export const JOB_EVENT_TYPES = ['enqueued', 'started', 'progress', 'succeeded', 'failed', 'retrying', 'deleted'] as const;

export type JobEventType = (typeof JOB_EVENT_TYPES)[number];

/** What every job event says about its job. */
export interface JobEventBase {
  jobId: string;
  /** The job definition's name. */
  name: string;
  /** The job's queue (for `enqueued`, the queue it entered). */
  queue: string;
  /**
   * The attempt the event is about: 1 for the first run, raised by each retry. For `retrying`,
   * the attempt that will run next.
   */
  attempt: number;
  /** When it happened, epoch ms: the time of the state change, as the job's history has it. */
  at: number;
}

export interface JobEnqueuedEvent extends JobEventBase {
  type: 'enqueued';
  /** Why, as in the history: "Enqueued by the client", "Scheduled time reached", "Lease of server ... expired". */
  reason: string | null;
}

export interface JobStartedEvent extends JobEventBase {
  type: 'started';
  /** The server that claimed the job. */
  serverId: string;
}

export interface JobProgressEvent extends JobEventBase {
  type: 'progress';
  /** What the job reported with `ctx.progress()`; absent when `progressOmitted`. */
  progress?: Json;
  /** The value was too large for an event (see `MAX_EVENT_VALUE_BYTES`): read the job's `progress` parameter. */
  progressOmitted: boolean;
}

export interface JobSucceededEvent extends JobEventBase {
  type: 'succeeded';
  /** What the job returned; absent when `resultOmitted`. */
  result?: Json;
  /** The result was too large for an event (see `MAX_EVENT_VALUE_BYTES`): read it from the job. */
  resultOmitted: boolean;
}

export interface JobFailedEvent extends JobEventBase {
  type: 'failed';
  /** The failed state's reason, e.g. `TypeError: x is undefined`. */
  reason: string | null;
  /** The error as the failed state recorded it (its message cut to `MAX_EVENT_TEXT`; the job's history has all of it). */
  error: { type: string; message: string };
  /**
   * True when the retry filter scheduled another attempt (a `retrying` event follows in the same
   * write); false when the job stays `failed`, or is `deleted` by its retry policy (a `deleted` follows).
   */
  willRetry: boolean;
}

export interface JobRetryingEvent extends JobEventBase {
  type: 'retrying';
  /** When the next attempt (`attempt`) is due. */
  runAt: number;
  reason: string | null;
}

export interface JobDeletedEvent extends JobEventBase {
  type: 'deleted';
  reason: string | null;
}

export type JobEvent =
  | JobEnqueuedEvent
  | JobStartedEvent
  | JobProgressEvent
  | JobSucceededEvent
  | JobFailedEvent
  | JobRetryingEvent
  | JobDeletedEvent;

/** The event of one type: `JobEventOf<'succeeded'>` is `JobSucceededEvent`. */
export type JobEventOf<T extends JobEventType> = Extract<JobEvent, { type: T }>;

/**
 * The most bytes of JSON a result or a progress value may take inside an event; a larger one is
 * left out (`resultOmitted`, `progressOmitted`) and read from the job. Together with the cut
 * texts (`MAX_EVENT_TEXT`) this keeps every encoded event under `MAX_JOB_EVENT_BYTES`.
 */
export const MAX_EVENT_VALUE_BYTES = 1500;

/** The most characters of a reason or an error message an event carries. */
export const MAX_EVENT_TEXT = 400;

/**
 * The most bytes an encoded event takes (`encodeJobEvent`): under the 8,000 bytes of a Postgres
 * `NOTIFY` payload, so one event is always one notification.
 */
export const MAX_JOB_EVENT_BYTES = 7900;

/**
 * How long a listener's announcement lasts without a refresh, in ms. A backend refreshes the
 * announcements of its own listeners every third of it; a listener process that died stops
 * costing publishers anything after at most this long. Judged by the backend's own clock (the
 * database's, or the host's for SQLite), never by the engine's `now`: it is liveness, not job time.
 */
export const JOB_EVENT_LISTENER_TTL_MS = 30_000;

/**
 * Job events between processes sharing a storage, through the backend's own channel: Postgres
 * `LISTEN/NOTIFY`, Redis pub/sub, an events table read when `PRAGMA data_version` moves on SQLite,
 * in-process delivery in memory.
 *
 * Nothing is published while nobody listens. A subscriber announces itself in the storage (a
 * row or key that expires after `JOB_EVENT_LISTENER_TTL_MS` unless refreshed, removed when the
 * last local subscriber leaves), and every write that would publish events first asks whether
 * an announcement is live — one indexed read inside the write it is part of (a tiny table on
 * SQLite and Postgres, one key on Redis) — and builds no payload and sends nothing when none is.
 * Checking in the write itself, rather than caching the answer in each process, is what makes
 * the guarantee below exact: no window after subscribing in which another process still thinks
 * nobody listens.
 *
 * How each backend does it (what the conformance cases in `conformance/events.ts` hold it to):
 * - memory: the subscriber count is the announcement; events are delivered on the next tick.
 * - SQLite: announcements are rows of a listeners table; events are rows of an events table
 *   written in the same transaction, numbered by an AUTOINCREMENT key, read by each listening
 *   process after `PRAGMA data_version` moves (or at once in the writing process), and pruned by
 *   age; a listener that finds numbers missing reports a gap.
 * - Postgres: announcements are rows of a listeners table (`until` judged by the database's
 *   clock); events travel by `pg_notify` on their own channel, inside the write's transaction, so
 *   they are delivered at its commit and in commit order. One event is one notification
 *   (`MAX_JOB_EVENT_BYTES`). A lost `LISTEN` connection is a gap.
 * - Redis: the announcement is a key with a TTL (`PEXPIRE`), read by the scripts that write;
 *   events are `PUBLISH`ed by those scripts, so they leave in the order the scripts ran. A
 *   subscriber reconnection is a gap.
 * The events themselves are built by `src/storage/job-events.ts` and encoded by
 * `src/storage/job-event-wire.ts`, whatever carries them.
 *
 * Guarantee: every event of a write that commits after `subscribeJobEvents` resolved reaches the
 * listener once, in the order the writes committed (the events of one write in the order the
 * write lists them), unless the backend reports a gap. A gap (the channel reconnected, the
 * listener fell behind the events a backend keeps, its announcement lapsed while its process was
 * blocked) is reported through `onGap`: some events may be lost, so whoever waits for a state
 * must read it again.
 */
export interface JobEventChannel {
  /**
   * Subscribes to the job events of every process sharing the storage; returns an unsubscribe.
   * A listener that throws is logged and does not keep the event from the others.
   */
  subscribeJobEvents(onEvent: (event: JobEvent) => void, onGap?: () => void): Promise<() => Promise<void>>;
}
