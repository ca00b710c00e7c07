import { Cluster } from 'ioredis';
import { splitConnection } from '../url.js';
import { STATE_NAMES } from '../contract/index.js';
import type {
  CreatedJob,
  CreateOptions,
  FetchOptions,
  Json,
  JobDetails,
  JobPage,
  JobRecord,
  ListJobsQuery,
  NewJob,
  QueueStatistics,
  RecurringAdvance,
  RecurringJobRecord,
  ServerRecord,
  StateName,
  Storage,
  StorageEvent,
  StorageStatistics,
  TimelinePoint,
  TransitionChange,
} from '../contract/index.js';
import { HOUR_MS, denseTimeline, timelineRange } from '../buckets.js';
import { decodeClaimed, decodeHistory, decodeJob, encodeNewJob, mergeArgument } from './codec.js';
import { decodeRecurring, encodeRecurring } from './recurring-codec.js';
import { transitionArguments } from './transition-arguments.js';
import {
  closeClient,
  createClient,
  describe,
  duplicateForSubscriber,
  isNoScriptError,
  isRedisClient,
  watchConnection,
  DEFAULT_REDIS_URL,
  type RedisClient,
  type RedisConnection,
} from './connection.js';
import { consoleLogger, type Logger } from '../../logger.js';
import { keyLayout, type KeyLayout } from './keys.js';
import { SCRIPTS, type LuaScript } from './scripts.js';

export type { RedisClient, RedisConnection } from './connection.js';

export interface RedisStorageOptions {
  /**
   * Prefix of every key. Default: the URL's `?prefix=` (taken out before ioredis sees it), else
   * `kiln:`; this option wins over both. Without its trailing colon it becomes the hash tag
   * (`{kiln}:job:<id>`), so one installation lives in one Redis Cluster slot and every script
   * can touch all of its keys; the wake-up channel is `<prefix>events`. Use a different prefix
   * for each application (or test) sharing one Redis. (A client passed in with ioredis's own
   * `keyPrefix` adds that in front of every key as well.)
   */
  prefix?: string;
  /**
   * Receives connection problems (per outage, not per reconnection attempt: a warning when a
   * connection is lost, one with the first error, and a line when it is back) and errors thrown
   * by event listeners. Default: the console logger, because an unreachable Redis must be visible
   * even when nobody configured logging.
   */
  logger?: Logger;
}

/**
 * Jobs per `createJobs` script call. A call of 2,000 jobs keeps Redis busy for some
 * milliseconds, short enough not to stall other clients; larger batches are sent as several
 * calls at once (one connection runs them in order, so ids, order and unique keys behave as in
 * one call). Each call is atomic; a batch of several calls is not: a connection lost in the middle
 * can leave the first chunks created, which a retry reports as "already exists".
 */
const CREATE_CHUNK = 2_000;

/**
 * Filtered `listJobs` (by name, search, or queue outside the enqueued state) examine at most this
 * many of the newest jobs of the state, and `total` counts the matches among them: a Lua script
 * blocks Redis for every client, and scanning a million finished jobs for a dashboard search
 * would stall all workers for seconds. Unfiltered pages and counts are exact at any size.
 */
const LIST_SCAN_LIMIT = 50_000;

/**
 * Changes per `transition` script call. The engine sends batches of hundreds; a larger batch is
 * split (each change is its own compare-and-set, so nothing is lost by splitting) to keep every
 * script short.
 */
const TRANSITION_CHUNK = 1_000;

/** Locks that ended this long before a caller's `now` are forgotten (see ACQUIRE_LOCK). */
const LOCK_GARBAGE_MS = 60_000;

type Listener = (event: StorageEvent) => void;

/**
 * Storage in Redis (6.2 or later), for fleets whose stack is Redis (today's BullMQ users).
 *
 * Every operation is one Lua script, so each is atomic and costs one round trip: `fetch` claims a
 * whole batch across queues in priority order, `transition` applies a whole batch of
 * compare-and-set changes, `createJobs` inserts thousands of jobs per call. Scripts are loaded by
 * `migrate()` and called by EVALSHA (falling back to EVAL, which also caches them, after a Redis
 * restart or failover forgot them). Time always comes from the caller's `now`: no Redis clock and
 * no key TTL decides a lease, a lock or an expiry, so every server and every test agree.
 *
 * Connections: given a URL or ioredis options, the storage creates its connection with the
 * defaults documented on `KILN_REDIS_DEFAULTS` (calls reject soon while Redis is down, and work
 * again after it returns), logs its errors through `logger`, and closes it in `close()`. Given an
 * existing client (`Redis` or `Cluster`), it uses it exactly as configured, leaves its 'error'
 * events to its owner, and leaves it open on `close()`. Either way `subscribe` opens one extra
 * connection (a duplicate of the command connection) for pub/sub, which the storage owns, watches
 * and closes.
 *
 * Transactions: Redis has none that a script could join and report back from, so `createJobs`
 * rejects a `tx` instead of silently not being atomic with the caller's other writes.
 *
 * Wake-ups are published by the scripts themselves on `<prefix>events`:
 * `{"t":"e","q":"<queue>"}` once per queue that received jobs in a call, and `{"t":"a","id":"<id>"}`
 * for a job taken from processing by someone other than its worker. After the subscriber
 * reconnects (events published meanwhile are lost) listeners get `{ type: 'enqueued', queue: '*' }`,
 * so idle workers fetch at once instead of waiting for their poll.
 */
export class RedisStorage implements Storage {
  /** The key layout, e.g. for tools that inspect or clean up the keyspace. */
  readonly keys: KeyLayout;
  private readonly client: RedisClient;
  private readonly ownsClient: boolean;
  private readonly logger: Logger;
  private readonly listeners = new Set<Listener>();
  private subscriber: RedisClient | null = null;
  private subscribing: Promise<void> | null = null;
  private closed = false;

  /**
   * @param connection a `redis://` / `rediss://` URL, ioredis options, or an existing ioredis
   *   client (default `redis://127.0.0.1:6379`).
   */
  constructor(connection: RedisConnection = DEFAULT_REDIS_URL, options: RedisStorageOptions = {}) {
    // `?prefix=` in the URL is the key prefix (as for `kiln --storage`); `options.prefix` wins.
    const fromUrl = splitConnection(connection, 'prefix');
    connection = fromUrl.connection;
    this.keys = keyLayout(options.prefix ?? fromUrl.value ?? 'kiln:');
    this.logger = options.logger ?? consoleLogger();
    if (isRedisClient(connection)) {
      this.client = connection;
      this.ownsClient = false;
    } else {
      this.client = createClient(connection);
      this.ownsClient = true;
      watchConnection(this.client, 'command', this.logger);
    }
  }

  /** Loads every script into Redis's script cache. Idempotent. */
  async migrate(): Promise<void> {
    // A Cluster routes SCRIPT LOAD to an arbitrary node; there each node learns a script from
    // the EVAL fallback of its first call instead.
    if (this.client instanceof Cluster) return;
    const client = this.client;
    await Promise.all(Object.values(SCRIPTS).map((s) => client.script('LOAD', s.lua)));
  }

  /** Closes the subscriber and, when the storage created it, the command connection. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.listeners.clear();
    const closing: Array<Promise<void>> = [];
    if (this.subscriber) closing.push(closeClient(this.subscriber));
    if (this.ownsClient) closing.push(closeClient(this.client));
    await Promise.all(closing);
  }

  private async run(script: LuaScript, args: Array<string | number>): Promise<unknown> {
    const all = [this.keys.base, this.keys.channel, ...args];
    try {
      return await this.client.evalsha(script.sha, 1, ...all);
    } catch (error) {
      if (!isNoScriptError(error)) throw error;
      return await this.client.eval(script.lua, 1, ...all);
    }
  }

  // ---- jobs

  async createJobs(jobs: NewJob[], options: CreateOptions): Promise<CreatedJob[]> {
    if (options.tx !== undefined) {
      throw new TypeError('RedisStorage cannot join a transaction: createJobs takes no tx option');
    }
    if (jobs.length === 0) return [];
    const ids = new Set<string>();
    for (const job of jobs) {
      if (ids.has(job.id)) throw new Error(`job ${job.id} appears twice in one createJobs call`);
      ids.add(job.id);
    }
    const now = String(options.now);
    const chunks: NewJob[][] = [];
    for (let i = 0; i < jobs.length; i += CREATE_CHUNK) chunks.push(jobs.slice(i, i + CREATE_CHUNK));
    const replies = await Promise.all(
      chunks.map((chunk) => this.run(SCRIPTS.createJobs, [JSON.stringify(chunk.map(encodeNewJob)), now])),
    );
    const out: CreatedJob[] = [];
    let i = 0;
    for (const reply of replies) {
      for (const holder of reply as string[]) {
        const id = jobs[i++]!.id;
        out.push(holder === '' ? { id, created: true } : { id: holder, created: false });
      }
    }
    return out;
  }

  async fetch(o: FetchOptions): Promise<JobRecord[]> {
    if (o.max <= 0 || o.queues.length === 0) return [];
    const entry = JSON.stringify({ name: 'processing', data: { serverId: o.serverId }, at: o.now });
    const reply = await this.run(SCRIPTS.fetch, [String(o.max), o.serverId, String(o.now + o.leaseMs), entry, ...o.queues]);
    return decodeClaimed(reply, o);
  }

  async mergeParameters(id: string, serverId: string, parameters: { [key: string]: Json }): Promise<boolean> {
    return (await this.run(SCRIPTS.mergeParameters, [id, serverId, mergeArgument(parameters)])) === 1;
  }

  async renewLeases(serverId: string, ids: string[], leaseMs: number, now: number): Promise<string[]> {
    if (ids.length === 0) return [];
    return (await this.run(SCRIPTS.renewLeases, [serverId, String(now + leaseMs), ...ids])) as string[];
  }

  async transition(changes: TransitionChange[], now: number): Promise<boolean[]> {
    if (changes.length === 0) return [];
    const calls: Array<Promise<unknown>> = [];
    for (let i = 0; i < changes.length; i += TRANSITION_CHUNK) {
      calls.push(this.run(SCRIPTS.transition, transitionArguments(changes.slice(i, i + TRANSITION_CHUNK), now)));
    }
    const replies = await Promise.all(calls);
    return replies.flatMap((reply) => (reply as number[]).map((r) => Number(r) === 1));
  }

  async enqueueDue(now: number, limit: number): Promise<number> {
    if (limit <= 0) return 0;
    return Number(await this.run(SCRIPTS.enqueueDue, [String(now), String(limit)]));
  }

  async nextDueAt(): Promise<number | null> {
    const reply = (await this.run(SCRIPTS.nextDue, [])) as string[];
    return reply.length >= 2 ? Number(reply[1]) : null;
  }

  async releaseExpiredLeases(now: number, limit: number): Promise<number> {
    if (limit <= 0) return 0;
    return Number(await this.run(SCRIPTS.releaseExpiredLeases, [String(now), String(limit)]));
  }

  async deleteExpired(now: number, limit: number): Promise<number> {
    if (limit <= 0) return 0;
    return Number(await this.run(SCRIPTS.deleteExpired, [String(now), String(limit)]));
  }

  async getJob(id: string): Promise<JobDetails | null> {
    const reply = (await this.run(SCRIPTS.getJob, [id])) as unknown[];
    if (reply.length === 0) return null;
    const { record } = decodeJob(reply[0]);
    return { ...record, history: decodeHistory(String(reply[1])), continuations: (reply[2] as string[]).map(String) };
  }

  async continuationsOf(parentIds: string[]): Promise<JobRecord[]> {
    const parents = [...new Set(parentIds)];
    if (parents.length === 0) return [];
    const reply = (await this.run(SCRIPTS.continuationsOf, parents)) as unknown[];
    return reply
      .map((flat) => decodeJob(flat))
      .sort((a, b) => a.seq - b.seq)
      .map((r) => r.record);
  }

  async awaitingReady(
    limit: number,
  ): Promise<Array<{ job: JobRecord; parentState: StateName | null; parentResult: string | null }>> {
    if (limit <= 0) return [];
    const reply = (await this.run(SCRIPTS.awaitingReady, [String(limit)])) as unknown[][];
    return reply.map(([flat, state, hasResult, result]) => ({
      job: decodeJob(flat).record,
      parentState: state === '' ? null : (String(state) as StateName),
      parentResult: Number(hasResult) === 1 ? String(result) : null,
    }));
  }

  // ---- servers

  async announceServer(server: ServerRecord): Promise<void> {
    const { heartbeatAt, ...rest } = server;
    await this.run(SCRIPTS.announceServer, [server.id, JSON.stringify(rest), String(heartbeatAt)]);
  }

  async heartbeat(serverId: string, now: number): Promise<boolean> {
    return Number(await this.run(SCRIPTS.heartbeat, [serverId, String(now)])) === 1;
  }

  async removeServer(serverId: string, now: number): Promise<void> {
    await this.run(SCRIPTS.removeServers, [String(now), 'ids', serverId]);
  }

  async removeDeadServers(heartbeatBefore: number, now: number): Promise<string[]> {
    return ((await this.run(SCRIPTS.removeServers, [String(now), 'before', String(heartbeatBefore)])) as string[]).map(
      String,
    );
  }

  // ---- locks

  async acquireLock(resource: string, owner: string, ttlMs: number, now: number): Promise<boolean> {
    const reply = await this.run(SCRIPTS.acquireLock, [
      resource,
      owner,
      String(now + ttlMs),
      String(now),
      String(now - LOCK_GARBAGE_MS),
    ]);
    return Number(reply) === 1;
  }

  async releaseLock(resource: string, owner: string): Promise<void> {
    await this.run(SCRIPTS.releaseLock, [resource, owner]);
  }

  // ---- recurring jobs

  async upsertRecurring(job: RecurringJobRecord): Promise<void> {
    const due = !job.paused && job.nextExecution !== null ? String(job.nextExecution) : '';
    await this.run(SCRIPTS.upsertRecurring, [job.id, due, ...encodeRecurring(job)]);
  }

  async removeRecurring(id: string): Promise<boolean> {
    return Number(await this.run(SCRIPTS.removeRecurring, [id])) === 1;
  }

  async setRecurringPaused(id: string, paused: boolean): Promise<boolean> {
    return Number(await this.run(SCRIPTS.setRecurringPaused, [id, paused ? '1' : '0'])) === 1;
  }

  async getRecurring(id: string): Promise<RecurringJobRecord | null> {
    const flat = (await this.run(SCRIPTS.getRecurring, [id])) as unknown[];
    return flat.length === 0 ? null : decodeRecurring(id, flat);
  }

  async listRecurring(): Promise<RecurringJobRecord[]> {
    const reply = (await this.run(SCRIPTS.listRecurring, [])) as unknown[][];
    return reply
      .filter(([, flat]) => Array.isArray(flat) && flat.length > 0)
      .map(([id, flat]) => decodeRecurring(String(id), flat))
      .sort((a, b) => a.id.localeCompare(b.id));
  }

  async dueRecurring(now: number, limit: number): Promise<RecurringJobRecord[]> {
    if (limit <= 0) return [];
    const reply = (await this.run(SCRIPTS.dueRecurring, [String(now), String(limit)])) as unknown[][];
    return reply.map(([id, flat]) => decodeRecurring(String(id), flat));
  }

  async advanceRecurring(a: RecurringAdvance, now: number): Promise<boolean> {
    const errorMode = a.error === undefined ? '' : a.error === null ? 'n' : 's';
    const reply = await this.run(SCRIPTS.advanceRecurring, [
      a.id,
      String(a.expectNext),
      a.nextExecution === null ? '' : String(a.nextExecution),
      a.lastExecution === null ? '' : String(a.lastExecution),
      errorMode,
      a.error ?? '',
      JSON.stringify(a.jobs.map(encodeNewJob)),
      String(now),
    ]);
    return Number(reply) === 1;
  }

  // ---- monitoring

  async statistics(): Promise<StorageStatistics> {
    const r = ((await this.run(SCRIPTS.statistics, [...STATE_NAMES])) as unknown[]).map(Number);
    const states = Object.fromEntries(STATE_NAMES.map((s, i) => [s, r[i] ?? 0])) as Record<StateName, number>;
    const n = STATE_NAMES.length;
    return {
      states,
      succeededTotal: r[n] ?? 0,
      failedTotal: r[n + 1] ?? 0,
      servers: r[n + 2] ?? 0,
      recurring: r[n + 3] ?? 0,
    };
  }

  async queues(): Promise<QueueStatistics[]> {
    const reply = (await this.run(SCRIPTS.queues, [])) as unknown[][];
    return reply
      .map(([queue, enqueued, processing]) => ({
        queue: String(queue),
        enqueued: Number(enqueued),
        processing: Number(processing),
      }))
      .filter((q) => q.enqueued > 0 || q.processing > 0)
      .sort((a, b) => a.queue.localeCompare(b.queue));
  }

  async listJobs(q: ListJobsQuery): Promise<JobPage> {
    const query: { s: StateName; o: string; l: string; c: string; q?: string; n?: string; x?: string; r?: true } = {
      s: q.state,
      o: String(Math.max(0, q.offset)),
      l: String(Math.max(0, q.limit)),
      c: String(LIST_SCAN_LIMIT),
    };
    if (q.queue !== undefined) query.q = q.queue;
    if (q.name !== undefined) query.n = q.name;
    if (q.search !== undefined) query.x = q.search.toLowerCase();
    if (q.retriesOnly) query.r = true;
    const [total, jobs] = (await this.run(SCRIPTS.listJobs, [JSON.stringify(query)])) as [unknown, unknown[]];
    return { total: Number(total), jobs: jobs.map((flat) => decodeJob(flat).record) };
  }

  async listServers(): Promise<ServerRecord[]> {
    const reply = (await this.run(SCRIPTS.listServers, [])) as unknown[][];
    return reply
      .map(([json, heartbeatAt]) => ({ ...(JSON.parse(String(json)) as Omit<ServerRecord, 'heartbeatAt'>), heartbeatAt: Number(heartbeatAt) }))
      .sort((a, b) => a.startedAt - b.startedAt || a.id.localeCompare(b.id));
  }

  async timeline(unit: 'hour' | 'day', from: number, to: number): Promise<TimelinePoint[]> {
    const { start, end } = timelineRange(unit, from, to);
    const hours: number[] = [];
    for (let at = start; at < end; at += HOUR_MS) hours.push(at);
    if (hours.length === 0) return denseTimeline(unit, from, to, []);
    const fields = hours.flatMap((at) => [`s:${at}`, `f:${at}`]);
    const values = (await this.run(SCRIPTS.timeline, fields)) as string[];
    const points = hours.map((at, i) => ({
      at,
      succeeded: Number(values[2 * i] || 0),
      failed: Number(values[2 * i + 1] || 0),
    }));
    return denseTimeline(unit, from, to, points);
  }

  // ---- wake-ups

  async subscribe(listener: Listener): Promise<() => Promise<void>> {
    if (this.closed) throw new Error('RedisStorage is closed');
    this.listeners.add(listener);
    try {
      await this.ensureSubscribed();
    } catch (error) {
      this.listeners.delete(listener);
      throw error;
    }
    return async () => {
      this.listeners.delete(listener);
    };
  }

  /**
   * One subscriber connection per storage, opened by the first `subscribe` and kept until
   * `close()`. ioredis re-subscribes it after every reconnection (`autoResubscribe`); once that
   * is done (a PING queued behind the SUBSCRIBE answers) listeners get a `'*'` wake-up, because
   * whatever was published while it was away is lost.
   */
  private ensureSubscribed(): Promise<void> {
    if (!this.subscribing) {
      const sub = duplicateForSubscriber(this.client);
      this.subscriber = sub;
      watchConnection(sub, 'subscriber', this.logger);
      sub.on('message', (channel: string, message: string) => {
        if (channel === this.keys.channel) this.deliver(message);
      });
      let subscribed = false;
      sub.on('ready', () => {
        if (!subscribed) return;
        sub.ping().then(
          () => this.dispatch({ type: 'enqueued', queue: '*' }),
          () => {},
        );
      });
      this.subscribing = sub.subscribe(this.keys.channel).then(
        () => {
          subscribed = true;
        },
        async (error: unknown) => {
          this.subscribing = null;
          this.subscriber = null;
          await closeClient(sub);
          throw error;
        },
      );
    }
    return this.subscribing;
  }

  private deliver(message: string): void {
    let event: StorageEvent;
    try {
      const m = JSON.parse(message) as { t?: string; q?: string; id?: string };
      if (m.t === 'e' && typeof m.q === 'string') event = { type: 'enqueued', queue: m.q };
      else if (m.t === 'a' && typeof m.id === 'string') event = { type: 'aborted', jobId: m.id };
      else return;
    } catch {
      return;
    }
    this.dispatch(event);
  }

  private dispatch(event: StorageEvent): void {
    for (const listener of [...this.listeners]) {
      try {
        listener(event);
      } catch (error) {
        this.logger.error('a storage event listener threw', { error: describe(error) });
      }
    }
  }
}
