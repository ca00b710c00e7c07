import { ValidationError } from '../../errors.js';
import { consoleLogger, type Logger } from '../../logger.js';
import { keyLayout, type KeyLayout } from './keys.js';

/** Options of `RedisStorage`. The connection itself is the constructor's first argument. */
export interface RedisStorageOptions {
  /**
   * Prefix of every key, default `kiln:`. Without its trailing colon it becomes the hash tag
   * (`{kiln}:job:<id>`), so one installation lives in one Redis Cluster slot and every script
   * can touch all of its keys; the wake-up channel is `<prefix>events`. Use a different prefix
   * for each application (or test) sharing one Redis. (A client passed in with ioredis's own
   * `keyPrefix` adds that in front of every key as well.)
   */
  prefix?: string;
  /**
   * Receives connection problems (per outage, not per reconnection attempt: a warning when a
   * connection is lost, one with the first error, and a line when it is back) and errors thrown
   * by event listeners. Default: `consoleLogger()` (src/logger.ts), because an unreachable Redis
   * must be visible even when nobody configured logging.
   */
  logger?: Logger;
}

/** The default key prefix: keys `{kiln}:…`, channel `kiln:events`. */
export const DEFAULT_REDIS_PREFIX = 'kiln:';

/** What the options come to once checked: the key layout and the logger. */
export interface ResolvedRedisOptions {
  keys: KeyLayout;
  logger: Logger;
}

const LOGGER_METHODS = ['debug', 'info', 'warn', 'error'] as const;

/**
 * Applies the defaults; a bad option is a `ValidationError` naming it (`options.prefix`).
 * `prefixFromUrl` is the URL's `?prefix=` (see `splitConnection`); `options.prefix` wins over it.
 */
export function resolveRedisOptions(options: RedisStorageOptions = {}, prefixFromUrl?: string): ResolvedRedisOptions {
  if (typeof options !== 'object' || options === null) {
    throw new ValidationError('options', `must be an object, got ${options === null ? 'null' : typeof options}`);
  }
  const { logger } = options;
  if (logger !== undefined) {
    const missing = LOGGER_METHODS.filter((m) => typeof (logger as Partial<Logger> | null)?.[m] !== 'function');
    if (missing.length > 0) throw new ValidationError('options.logger', `must have the methods ${missing.join(', ')}`);
  }
  return {
    keys: keyLayout(options.prefix ?? prefixFromUrl ?? DEFAULT_REDIS_PREFIX, 'options.prefix'),
    logger: logger ?? consoleLogger(),
  };
}
