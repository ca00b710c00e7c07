/**
 * The defaults of `BackgroundJobServer`'s options, each documented here once, with why. Every
 * option that is a duration is named `<option>Ms` once resolved (`pollInterval` →
 * `pollIntervalMs`), in `ResolvedServerOptions` and in the process that uses it.
 */

/** Concurrent job slots: Hangfire's min(cores × 5, 20), without the core count, which says little about I/O-bound jobs. */
export const DEFAULT_WORKER_COUNT = 20;

/** The queues a server takes jobs from when none are named. */
export const DEFAULT_QUEUES: readonly string[] = ['default'];

/** How long a claimed job is invisible to other servers unless its lease is renewed: 30 s, six heartbeats. */
export const DEFAULT_LEASE_TIMEOUT_MS = 30_000;

/** How often a server says it is alive and renews its jobs' leases: 5 s, as Hangfire's heartbeat. */
export const DEFAULT_HEARTBEAT_INTERVAL_MS = 5_000;

/** A server silent this long is declared dead and its jobs requeued: 30 s, six missed heartbeats. */
export const DEFAULT_SERVER_TIMEOUT_MS = 30_000;

/**
 * How often the watchdog looks for servers silent past `serverTimeout` and for expired leases: 5 s,
 * so what liveness marks cannot see (a frozen VM, a partition) costs at most 35 s.
 */
export const DEFAULT_SERVER_CHECK_INTERVAL_MS = 5_000;

/**
 * How often the watchdog checks the other servers' liveness marks (`Storage.removeVanishedServers`):
 * 1 s. A mark is released by the storage the instant its owner's process dies, so this interval
 * is most of the time a crashed server's jobs wait (the issue's target: back within 3 s), for one
 * cheap read per server per second (Postgres: a transaction of lock probes; Redis: `CLIENT LIST`;
 * SQLite: a read and a look in `/proc`).
 */
export const DEFAULT_LIVENESS_CHECK_INTERVAL_MS = 1_000;

/**
 * How long a server whose own liveness mark was lost and taken again (its storage restarted, its
 * connection dropped) waits before it judges others' marks: 15 s. The others lost theirs too and
 * take them again with the storage back-off (up to 10 s between attempts); judging them before
 * would declare every server but the first one back dead.
 */
export const LIVENESS_REJOIN_GRACE_MS = 15_000;

/** A clock offset to the storage over this is logged as a warning: 1 s. */
export const CLOCK_OFFSET_WARNING_MS = 1_000;

/** An idle server's fallback poll for jobs: 1 s. New jobs normally wake it at once (LISTEN/NOTIFY, pub/sub, in-process events). */
export const DEFAULT_POLL_INTERVAL_MS = 1_000;

/**
 * The delayed and recurring schedulers' and the continuation dispatcher's poll: 1 s (Hangfire
 * 15 s). Each also sets a timer for the next due job or occurrence, so the poll only catches
 * work created by other processes.
 */
export const DEFAULT_SCHEDULE_POLLING_INTERVAL_MS = 1_000;

/** How often expired jobs are deleted: 5 min, under a lock, so one server of a fleet does it. */
export const DEFAULT_EXPIRATION_CHECK_INTERVAL_MS = 300_000;

/** At shutdown, how long running jobs may finish before their signal is aborted: 0.5 s, as Hangfire. */
export const DEFAULT_STOP_TIMEOUT_MS = 500;

/** At shutdown, how long to wait for running jobs in all: 15 s, as Hangfire. */
export const DEFAULT_SHUTDOWN_TIMEOUT_MS = 15_000;

/**
 * How far the default, adaptive prefetch grows: 16 × workerCount (four doublings), at most
 * 1,000. Measured on a 2-core machine draining 20,000 no-op jobs from Postgres at concurrency 50
 * (bench/tools/trace-storage.ts, three runs each): a fixed prefetch of 400 ran 29.5-32.6k jobs/s,
 * 450 ran 32.0-36.3k, 950 ran 30.7-40.7k; a claim costs the database and this process a fixed
 * ~0.3 ms each, so larger claims keep paying off a little. It only grows while jobs finish faster
 * than a round trip, so the jobs it holds are seconds' work at most.
 */
export const ADAPTIVE_PREFETCH_FACTOR = 16;
export const MAX_ADAPTIVE_PREFETCH = 1_000;
