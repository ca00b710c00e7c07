/**
 * Liveness: how servers learn at once that another server's process died, and the storage's own
 * clock, which servers use to agree on time.
 *
 * ## The liveness mark
 *
 * Every server holds, from `start()` to `dispose()`, a *mark*: something its storage releases by
 * itself the instant the server's process dies, without waiting for any timeout. Each backend
 * picks the primitive its storage offers:
 *
 * | backend | the mark | "owner gone" means |
 * | --- | --- | --- |
 * | Postgres | a session-level advisory lock held on a dedicated connection (a session, so not through pgbouncer in transaction mode) | another session's `pg_try_advisory_xact_lock` on its key succeeds |
 * | Redis | a dedicated connection that stays SUBSCRIBEd to a channel of the server's own (`<tag>:alive:<serverId>`) | `PUBSUB NUMSUB` of that channel is 0 |
 * | SQLite (one host) | the owner's process id, its start time (`/proc/<pid>/stat`), the boot id and the pid namespace | `process.kill(pid, 0)` finds no such process, or the pid now belongs to a zombie or to a process started at another time |
 * | memory | the holder object itself | never: the holder and the storage share one process |
 *
 * Next to the mark, the storage keeps a *mark record* (the server id and whatever identifies the
 * holder), written by `holdLiveness` and deleted by `LivenessHold.release()` or when the mark is
 * found vanished. Mark records are independent of server records: removing a server by heartbeat
 * timeout does not delete its mark record (its process may still live, re-announce itself, and
 * must stay covered), and a server record without a mark record — announced by an older Kiln, or
 * by a backend that has no mark — is judged by the heartbeat timeout alone.
 *
 * Every server's watchdog calls `removeVanishedServers` every `livenessCheckInterval` (1 s by
 * default). The heartbeat timeout (`serverTimeout`) stays as the fallback for what a mark cannot
 * see: a frozen VM or a network partition keeps a connection, and so a mark, open.
 *
 * What a mark must never do is report a living owner as gone. In particular:
 * - an owner whose event loop is blocked (a CPU-bound job, a debugger, SIGSTOP) keeps its mark:
 *   the mark is kept by the storage and the operating system, never by the owner's own activity
 *   (no "did it answer a ping lately" check, no time-based judgement);
 * - a slow or locked storage only makes the check slow: a check that fails or times out removes
 *   nobody (it throws, and the watchdog tries again later);
 * - a mark must survive its connection being idle for hours (keep-alives where the storage closes
 *   idle connections, e.g. Redis `timeout`).
 *
 * When the owner's connection is lost while its process lives (a storage restart, a network
 * blip), the mark is lost with it and others may find the server gone: its jobs are requeued, its
 * own completions of them are then refused by the lease compare-and-set (`expectServerId`), its
 * heartbeat finds its server record gone and announces it again. The hold takes the mark again
 * on a new connection by itself (with the storage's back-off), taking the mark *before* it
 * rewrites its mark record, so that a check racing with it either sees the mark held or removes
 * the record before it is rewritten, never the other way round. The watchdog of a server whose
 * own mark had to be taken again waits `LIVENESS_REJOIN_GRACE_MS` before it judges others, so
 * that a storage restart does not let the first server back declare all the others dead.
 *
 * ## The storage's clock
 *
 * `storageTime()` reads the storage server's clock. Servers measure their offset to it at every
 * heartbeat, NTP-style (`offset = storageTime − (t0 + t1) / 2` around the call, smoothed, long
 * round trips ignored) and correct their clock by it, so due times, leases, heartbeats and cron
 * occurrences agree across machines whose clocks disagree.
 */

/**
 * A server's hold on its liveness mark, from `holdLiveness` until `release()`. The backend keeps
 * it by itself: when the mark's connection is lost, the hold takes the mark again on a new one
 * (with back-off), and rewrites its mark record.
 */
export interface LivenessHold {
  /**
   * Host time (`Date.now()`, not the corrected clock) since which the mark has been held without
   * a break; `null` while it is not held (its connection was lost and is being taken again). A
   * mark that can never be lost (SQLite's process identity, memory) keeps its first value.
   */
  readonly heldSince: number | null;
  /**
   * Lets go of the mark and deletes its mark record, so no one judges this server any more.
   * Called by a graceful `dispose()` after `removeServer`. Idempotent; never throws for a lost
   * connection (the mark is gone with it anyway).
   */
  release(): Promise<void>;
}

/**
 * The liveness role: each server's mark, the check that finds servers whose process died, and
 * the storage's clock. Read the file comment for the semantics every backend must keep.
 */
export interface Liveness {
  /**
   * Takes the liveness mark of `serverId` for this process and writes its mark record (replacing
   * any record of the same id). Resolves once the mark is held.
   *
   * Returns `null` when this backend, or this platform, has no mark (SQLite where `/proc` is
   * missing, a backend that does not implement liveness): the server then relies on the heartbeat
   * timeout alone, and nothing is written.
   *
   * `close()` of the storage ends the mark's connection *without* deleting its record, exactly
   * as the process dying would: the server then looks gone to others.
   */
  holdLiveness(serverId: string): Promise<LivenessHold | null>;

  /**
   * Finds the mark records whose mark is no longer held (their owner's process died, or its
   * connection ended), and for each, in one atomic step per server: deletes the mark record,
   * removes the server record if there is one, and requeues every job `processing` under that
   * server id, exactly as `removeServer` does (the same requeue path, counted as an interruption
   * of each job), with a history reason of the form `Server <id> is gone: <how it was found>`.
   * Returns the ids of the servers found gone (empty when none). `now` stamps the history entries.
   *
   * Never judges `checkerId` (the calling server itself), nor a record it cannot judge (SQLite:
   * another host or pid namespace, where a pid means nothing). A mark retaken between the check
   * and the removal must win: the removal is a compare-and-set on the record as it was read
   * (Postgres: the `pg_try_advisory_xact_lock` taken in the removing transaction blocks the
   * owner's retake until it commits; Redis: a token in the mark record; SQLite: pid and start
   * time). Cheap when no one died: a read, no write lock.
   */
  removeVanishedServers(now: number, checkerId: string): Promise<string[]>;

  /**
   * The storage server's current time in epoch milliseconds (fractions allowed), read when the
   * storage answers: Postgres `clock_timestamp()` (not `now()`, the transaction's start), Redis
   * `TIME`. `null` for a storage that shares the host's clock (memory, SQLite: one host, one
   * clock), for which no correction is made. One short round trip, with no write.
   */
  storageTime(): Promise<number | null>;
}
