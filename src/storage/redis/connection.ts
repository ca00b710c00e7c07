/**
 * Making, watching and closing the ioredis connections of a `RedisStorage`.
 */
import { Cluster, Redis, type RedisOptions } from 'ioredis';
import type { Logger } from '../../logger.js';

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

export function isRedisClient(value: unknown): value is RedisClient {
  if (value instanceof Redis || value instanceof Cluster) return true;
  // Another copy of ioredis in node_modules: recognise a client by its shape.
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as { evalsha?: unknown }).evalsha === 'function' &&
    typeof (value as { duplicate?: unknown }).duplicate === 'function'
  );
}

export function createClient(connection: string | RedisOptions): Redis {
  return typeof connection === 'string'
    ? new Redis(connection, { ...KILN_REDIS_DEFAULTS })
    : new Redis({ ...KILN_REDIS_DEFAULTS, ...connection });
}

/** A second connection with the same settings, for SUBSCRIBE (a subscribed connection runs no scripts). */
export function duplicateForSubscriber(client: RedisClient): RedisClient {
  if (client instanceof Cluster) return client.duplicate();
  // Pipelining buys nothing on a connection that only listens.
  return (client as Redis).duplicate({ enableAutoPipelining: false });
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
    logger.warn(`redis ${label} connection error; reconnecting with back-off`, { error: describe(error) });
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

export function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
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
