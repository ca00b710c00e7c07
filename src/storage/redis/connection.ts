/**
 * Making, watching and closing the ioredis connections of a `RedisStorage`. ioredis is an
 * optional peer dependency: it is loaded by `loadIoredis()` when a storage is constructed, and
 * every other mention of it here is a type.
 */
import type { Cluster, Redis, RedisOptions } from 'ioredis';
import { KilnError, StorageFullError, ValidationError, errorMessage } from '../../errors.js';
import type { Logger } from '../../logger.js';
import { loadDriver } from '../driver.js';

/** The ioredis module, as `loadIoredis()` returns it: its classes `Redis` and `Cluster`. */
export type Ioredis = typeof import('ioredis');

/** A connection Kiln can run its scripts on: a standalone / Sentinel client or a Cluster client. */
export type RedisClient = Redis | Cluster;

/** What a `RedisStorage` is given to reach Redis. */
export type RedisConnection = string | RedisOptions | RedisClient;

/** The default server: Redis on this host. */
export const DEFAULT_REDIS_URL = 'redis://127.0.0.1:6379';

/**
 * The ioredis options Kiln sets on the connections it creates (a user's own options win):
 *
 * - `maxRetriesPerRequest: 1` (ioredis: 20). While Redis is unreachable a call is kept for one
 *   reconnection attempt and then rejected, a fraction of a second later, instead of piling up
 *   for 20 attempts (minutes with the back-off). The engine's loops see the error, log it and
 *   retry on their own schedule; a job framework must not freeze on a dead socket.
 * - `enableOfflineQueue: true` (the ioredis default, restated): calls made while the connection
 *   is being (re)established wait for it rather than failing at once, so a short blip or the
 *   first call after `new RedisStorage(...)` just works.
 * - `enableAutoPipelining: true` (ioredis: false): concurrent calls from many worker slots leave
 *   in one write, which is most of the throughput of the completion path.
 * - `connectionName: 'kiln'`: the connections are recognisable in `CLIENT LIST`.
 * - `retryStrategy`: the ioredis default, exponential back-off from 50 ms capped at 5 s with
 *   jitter, reconnecting forever.
 */
export const KILN_REDIS_DEFAULTS: RedisOptions = {
  maxRetriesPerRequest: 1,
  enableOfflineQueue: true,
  enableAutoPipelining: true,
  connectionName: 'kiln',
};

/** Loads ioredis (once; Node caches it), or fails with a `KilnError` naming the package to install. */
export function loadIoredis(): Ioredis {
  return loadDriver<Ioredis>('ioredis', 'RedisStorage');
}

function isRedisClient(ioredis: Ioredis, value: unknown): value is RedisClient {
  if (value instanceof ioredis.Redis || value instanceof ioredis.Cluster) return true;
  // Another copy of ioredis in node_modules: recognise a client by its shape.
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as { evalsha?: unknown }).evalsha === 'function' &&
    typeof (value as { duplicate?: unknown }).duplicate === 'function'
  );
}

/** The command connection of a storage, and whether the storage made it (and so closes it). */
export interface CommandConnection {
  client: RedisClient;
  /** True when the storage created the client: it then watches its errors and closes it. */
  owned: boolean;
  /** A Redis Cluster client: scripts cannot be preloaded, and its duplicate is a Cluster too. */
  cluster: boolean;
}

/**
 * The command connection for what a `RedisStorage` was given: an existing client as it is, or a
 * new one with `KILN_REDIS_DEFAULTS` for a URL or ioredis options. Anything else is a
 * `ValidationError` naming `connection`.
 */
export function openConnection(ioredis: Ioredis, connection: RedisConnection): CommandConnection {
  let client: RedisClient;
  let owned = true;
  if (isRedisClient(ioredis, connection)) {
    client = connection;
    owned = false;
  } else if (typeof connection === 'string') {
    client = new ioredis.Redis(connection, { ...KILN_REDIS_DEFAULTS });
  } else if (typeof connection === 'object' && connection !== null && !Array.isArray(connection)) {
    client = new ioredis.Redis({ ...KILN_REDIS_DEFAULTS, ...connection });
  } else {
    throw new ValidationError('connection', 'must be a redis:// or rediss:// URL, ioredis options, or an ioredis client');
  }
  return { client, owned, cluster: client instanceof ioredis.Cluster };
}

/** A second connection with the same settings, for SUBSCRIBE (a subscribed connection runs no scripts). */
export function duplicateForSubscriber(connection: CommandConnection): RedisClient {
  if (connection.cluster) return (connection.client as Cluster).duplicate();
  // Pipelining buys nothing on a connection that only listens.
  return (connection.client as Redis).duplicate({ enableAutoPipelining: false });
}

/**
 * Logs a connection's errors instead of leaving ioredis to print them as unhandled, once per
 * outage (not once per reconnection attempt): a warning when an established connection is lost
 * (closed by the server, as CLIENT KILL, a restart or a failover do, which ioredis reports with no
 * 'error' at all), a warning with the first error of the outage (why it cannot reconnect), and
 * one line when it is back.
 */
export function watchConnection(client: RedisClient, label: string, logger: Logger): void {
  let down = false;
  let errorLogged = false;
  client.on('error', (error: unknown) => {
    if (errorLogged) return;
    down = true;
    errorLogged = true;
    logger.warn(`redis ${label} connection error; reconnecting with back-off`, { error: errorMessage(error) });
  });
  // Emitted only when ioredis reconnects on its own, never after quit() or disconnect().
  client.on('reconnecting', () => {
    if (down) return;
    down = true;
    logger.warn(`redis ${label} connection lost; reconnecting with back-off`);
  });
  client.on('ready', () => {
    if (!down) return;
    down = false;
    errorLogged = false;
    logger.info(`redis ${label} connection restored`);
  });
}

/** Closes a connection: QUIT when it is up (pending replies arrive first), otherwise drop it. */
export async function closeClient(client: RedisClient): Promise<void> {
  if (client.status === 'ready') {
    try {
      await client.quit();
      return;
    } catch {
      // fall through: the connection went away while quitting
    }
  }
  client.disconnect();
}

export function isNoScriptError(error: unknown): boolean {
  return error instanceof Error && error.message.includes('NOSCRIPT');
}

/** The code of the error replies a Kiln script raises on purpose (`redis.error_reply('KILN …')`). */
const REFUSAL = 'KILN ';

/** Redis's reply to a write past `maxmemory` (with the `noeviction` policy, or nothing left to evict). */
const OUT_OF_MEMORY = 'OOM ';

/**
 * A script's deliberate refusal (an error reply with the code `KILN`, such as a job id that
 * exists already) as the `KilnError` it stands for; Redis's out-of-memory reply as a
 * `StorageFullError` naming `storage`; any other error as it is.
 */
export function scriptError(error: unknown, storage: string): unknown {
  if (!(error instanceof Error)) return error;
  if (error.message.startsWith(REFUSAL)) return new KilnError(error.message.slice(REFUSAL.length), { cause: error });
  if (error.message.startsWith(OUT_OF_MEMORY)) {
    return new StorageFullError(storage, `${error.message.split('\n')[0]} (nothing of this call was written)`, { cause: error });
  }
  return error;
}
