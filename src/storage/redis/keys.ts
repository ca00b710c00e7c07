/**
 * The Redis key layout of Kiln. Every key lives under one hash tag built from the prefix, so the
 * whole keyspace of one Kiln installation maps to a single Redis Cluster slot:
 *
 * | key (after `{tag}:`)  | type   | holds |
 * | --------------------- | ------ | ----- |
 * | `seq`                 | string | INCR counter: a job's sequence number, the FIFO order within a queue |
 * | `job:<id>`            | hash   | one job, see below |
 * | `q:<queue>`           | zset   | the enqueued jobs of a queue that carry no concurrency or rate key, score = claim order: seq − priority × 2^45 (seq for priority 0; fetch pops the lowest) |
| `lq:<queue>`          | zset   | the enqueued jobs of a queue that carry a concurrency or rate key ("limited"), same score; with `q:<queue>` the only indexes of enqueued jobs |
| `lg:<queue>`          | zset   | the groups of a queue's limited jobs (jobs with the same concurrency key and limit, rate key, max and window, joined by `\x01`), score ≤ the group's first job's (exact after a fetch went through it) |
| `lgj:<queue>\x01<group>` | zset | a group's enqueued jobs, same score; a job that leaves it otherwise than by fetch (deleted, debounced, moved) stays until a fetch finds it stale at the group's head |
| `qsettings`           | hash   | queue → `paused,concurrency,rateMax,ratePerMs` (`''` for none) for each paused or limited queue; absent when none is |
| `kproc`               | zset   | the processing jobs that carry a concurrency key, score = the key's number: a key's count is one ZCOUNT |
| `kids`                | hash   | concurrency key → its number in `kproc` (made by `kids:seq` at the key's first claim, dropped when its last processing job leaves `kproc`) |
| `knames`              | hash   | the reverse of `kids`: number → concurrency key |
| `kids:seq`            | string | INCR counter numbering the concurrency keys |
| `rs:<key>`            | zset   | the starts of rate key `<key>`, score = start time, member a `starts:seq` number; pruned to the claimed job's window at each claim, expires `MAX_RATE_WINDOW_MS` after its last start |
| `rq:<queue>`          | zset   | the same for a queue with a rate limit |
| `starts:seq`          | string | INCR counter naming the starts |
 * | `queues`              | set    | every queue name that ever had an enqueued or processing job |
 * | `processing`          | zset   | the processing jobs, score = leaseUntil (`+inf` without a lease); their only index |
 * | `qproc`               | hash   | queue → number of processing jobs |
 * | `scheduled`           | zset   | scheduled jobs with a time, score = runAt |
 * | `state:<state>`       | zset   | the jobs in `scheduled`, `awaiting`, `succeeded`, `failed`, `deleted`, score = seq (counts and newest-first pages) |
 * | `retries`             | zset   | the scheduled jobs with an attempt above 1 (waiting for an automatic retry), score = seq: the dashboard's Retries page |
 * | `retries:indexed`     | string | set once `migrate()` has indexed the retries of a keyspace written before `retries` existed |
 * | `expire`              | zset   | the batches of the expiry log, score = when a batch is due (at or before its earliest expireAt); read by `deleteExpired` |
 * | `expire:<n>`          | list   | one batch: `id`, `expireAt` pairs of the jobs one transition call gave an expiry; an entry counts while the job's `expireAt` field still equals it |
 * | `expire:seq`          | string | INCR counter numbering the batches |
 * | `children:<id>`       | zset   | ids of the continuations of a parent, score = seq |
 * | `uk:<uniqueKey>`      | set    | ids of the existing jobs carrying a unique key |
 * | `servers`             | hash   | server id → JSON record (without `heartbeatAt`) |
 * | `heartbeats`          | zset   | server id, score = last heartbeat |
 * | `locks`               | hash   | resource → owner |
 * | `locks:until`         | zset   | resource, score = end of the lock |
 * | `recurring`           | set    | ids of the recurring definitions |
 * | `rec:<id>`            | hash   | one recurring definition, one field per property (absent = null) |
 * | `recurring:due`       | zset   | unpaused definitions with a next execution, score = nextExecution |
 * | `stats`               | hash   | lifetime `succeeded` / `failed` totals |
 * | `hours`               | hash   | `s:<hour start ms>` / `f:<hour start ms>` → successes / failures in that UTC hour |
 * | `marks`               | hash   | liveness mark records: server id → token of the hold that wrote it (see liveness.ts) |
 * | `listening`           | string | the job-event announcement: exists while some listener lives, expires with the last one (see events.ts) |
 * | `listeners`           | zset   | the job-event listeners behind `listening`: instance id, score = when it lapses (Redis's clock) |
 * | `log:<id>`            | list   | a job's kept log lines, oldest first, each a JSON text (see logs.ts) |
 *
 * A job hash holds as few fields as the scripts need, because Redis time per job grows with every
 * field a script reads or writes (measured on Redis 7.0: roughly 0.3 µs per field, next to 1.3 µs
 * per command):
 *
 * | field | holds |
 * | ----- | ----- |
 * | `j` | the record's fields that no state change touches, as one JSON text written at creation: `{"id","name","createdAt","parentId","uniqueKey","args"}` and, when set, `"priority"`, `"concurrency"`, `"rateLimit"` (fetch pastes it into its reply as it is; only a debounced call's replacement rewrites its members from `args` on) |
 * | `state` `queue` `seq` `attempt` | current state, queue, sequence number (creation order), attempt |
 * | `hist` | the history: JSON entries joined by newlines (JSON text has none); the last entry is the current state's, so its reason, data and time are not stored again |
 * | `runAt` `serverId` `leaseUntil` `expireAt` | `''` is null: always present, so a state change is one HSET, never an HSET plus an HDEL |
 * | `result` | the result's JSON text; absent until set |
 * | `logs` | the `seq` of the job's newest log line; absent until it logs (its lines are the list `log:<id>`) |
 * | `params` | the parameters as a JSON object of JSON texts (`{"retryCount":"1"}`): cjson merges strings and never re-encodes a value; absent until set |
 * | `name` `ln` `parentId` `uniqueKey` `uniqueUntil` | what the scripts search by or check (`name`, `parentId` and `uniqueKey` repeat `j`; `ln` is the lower-cased name when it is not ASCII); absent when null |
| `pri` `ck` `cl` `rk` `rm` `rp` | flow control, repeating `j`: priority (absent for 0), concurrency key and limit, rate key, max and window; absent when the job has none |
 *
 * A fetch merges the plain jobs with the limited ones group by group (see `lua/limited-claim.ts`):
 * a group over its limits is skipped whole, so a saturated key's backlog costs one check.
 *
 * Flow control stays off the plain path: a fetch checks with one EXISTS whether any queue has
 * settings or any fetched queue has limited jobs, and pops `q:<queue>` as before when none does.
 * A job leaving processing leaves `kproc` in the same buffered ZREM as the processing index; while
 * no job with a concurrency key is processing, `kproc` does not exist and that costs one EXISTS
 * per script call.
 *
 * Enqueued and processing jobs, the hot path, are indexed once each (a fetch and a completion
 * touch three sorted sets in all); monitoring merges the queues' sets or sorts the processing set
 * instead, which is cheap for a page and the processing set is bounded by the running workers.
 * Expiries are a log rather than a sorted set of every retained job: a completion appends its
 * entry to its call's batch (no insert into a set of a day's jobs), and `deleteExpired` checks each
 * entry against the job's `expireAt` field, so a changed or cleared expiry needs no write at all.
 *
 * The Lua scripts build the same names from the key prefix they receive as `KEYS[1]` (see
 * `lua/library.ts`); this module is the JavaScript side of the same layout.
 *
 * Trade-off of the single hash tag: every key of one installation sits in one slot, hence on one
 * shard of a Redis Cluster. That is what lets one script move jobs across queues, states and
 * indexes atomically (fetch over several queues in priority order, a batch of transitions,
 * crash recovery). Per-queue tags would spread load over shards but make every cross-queue
 * operation impossible in one script. To spread load, run several installations (prefixes).
 */

import { ValidationError } from '../../errors.js';

/** The key names of one installation. */
export interface KeyLayout {
  /** The tag-qualified prefix every key starts with, e.g. `{kiln}:`. Passed to scripts as `KEYS[1]`. */
  readonly base: string;
  /** The pub/sub channel for wake-ups, e.g. `kiln:events`. */
  readonly channel: string;
  /** The pub/sub channel of job events, e.g. `kiln:job-events` (the scripts build it from the tag too). */
  readonly jobEventChannel: string;
  /** The channel a server's liveness connection stays subscribed to, e.g. `kiln:alive:<serverId>`. */
  aliveChannel(serverId: string): string;
  /** A glob matching every key of the installation (for tests and cleanup). */
  readonly pattern: string;
  key(name: string): string;
}

/**
 * Turns a user prefix (`kiln:` by default) into the layout: the prefix without its trailing colon
 * becomes the hash tag, so `kiln:` gives keys `{kiln}:job:<id>` and the channel `kiln:events`.
 * A prefix that is not a string, is empty, or holds a character that would break the hash tag or
 * the key pattern is a `ValidationError` naming `field`.
 */
export function keyLayout(prefix: string, field = 'prefix'): KeyLayout {
  if (typeof prefix !== 'string') throw new ValidationError(field, `must be a string, got ${typeof prefix}`);
  const tag = prefix.endsWith(':') ? prefix.slice(0, -1) : prefix;
  if (tag.length === 0) throw new ValidationError(field, 'the key prefix must not be empty');
  if (/[{}*?[\]\\]/.test(tag)) {
    throw new ValidationError(field, `the key prefix ${JSON.stringify(prefix)} must not contain { } * ? [ ] or \\`);
  }
  const base = `{${tag}}:`;
  return {
    base,
    channel: `${tag}:events`,
    jobEventChannel: `${tag}:job-events`,
    aliveChannel: (serverId: string) => `${tag}:alive:${serverId}`,
    pattern: `${base}*`,
    key: (name: string) => base + name,
  };
}
