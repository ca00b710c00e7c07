import { StorageFullError } from '../errors.js';

/**
 * Whether a storage error says "the storage cannot be reached or is busy right now" (try the same
 * write again later) rather than "this write cannot be stored" (trying it again will fail the
 * same way). The completer retries the first kind with back-off and isolates the second (see
 * `Completer`).
 *
 * A full storage (`StorageFullError`, or the drivers' own words for it: Postgres 53100, `SQLITE_FULL`,
 * Redis's `OOM command not allowed`) is transient too: the write waits for room, and a job is
 * never failed because a disk filled up or Redis reached its `maxmemory`.
 *
 * Read from the error's `code` first (Node's network codes, Postgres SQLSTATEs, SQLite's result
 * codes), then from its message for the drivers that give none (pg's "Connection terminated",
 * ioredis's "Connection is closed."), following `cause` and `AggregateError.errors`. An error
 * this does not know is not transient: the completer's isolation then proves whether the storage
 * is up before it fails any job (see `Completer`), so a mistake here costs round trips, never a job.
 */
export function isTransientStorageError(error: unknown): boolean {
  if (error instanceof StorageFullError) return true;
  const seen = new Set<unknown>();
  const queue: unknown[] = [error];
  while (queue.length > 0 && seen.size < 10) {
    const e = queue.shift();
    if (typeof e !== 'object' || e === null || seen.has(e)) continue;
    seen.add(e);
    if (transientCode(read(e, 'code')) || transientMessage(read(e, 'message'))) return true;
    queue.push(read(e, 'cause'));
    const errors = read(e, 'errors');
    if (Array.isArray(errors)) queue.push(...errors.slice(0, 5));
  }
  return false;
}

/** Node's socket and DNS errors: the peer is not there, or the path to it broke. */
const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'EHOSTDOWN',
  'ENETUNREACH',
  'ENETDOWN',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EADDRNOTAVAIL',
  'ERR_SOCKET_CLOSED',
  'ERR_STREAM_DESTROYED',
]);

/**
 * Postgres SQLSTATEs after which the same statement may well succeed: class 08 (connection
 * exception) by prefix, and the shutdown, overload and conflict states listed here.
 */
const PG_TRANSIENT = new Set([
  '57P01', // admin_shutdown: the backend was terminated
  '57P02', // crash_shutdown
  '57P03', // cannot_connect_now: starting up or shutting down
  '57014', // query_canceled: a statement timeout
  '53100', // disk_full
  '53300', // too_many_connections
  '53400', // configuration_limit_exceeded
  '40001', // serialization_failure
  '40P01', // deadlock_detected
  '55P03', // lock_not_available
  '25006', // read_only_sql_transaction: a failover sent us to a replica for a moment
]);

function transientCode(code: unknown): boolean {
  if (typeof code !== 'string') return false;
  if (NETWORK_CODES.has(code) || PG_TRANSIENT.has(code)) return true;
  if (/^08[0-9A-Z]{3}$/.test(code)) return true;
  return code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED') || code === 'SQLITE_FULL';
}

/**
 * Messages of drivers that carry no code: pg's connection ends and pool timeouts; ioredis's closed
 * connection, retries exhausted and Redis's own "try again" replies (LOADING, BUSY, TRYAGAIN,
 * CLUSTERDOWN, MASTERDOWN, READONLY during a failover, OOM at `maxmemory`).
 */
const TRANSIENT_MESSAGE =
  /connection (?:is )?(?:closed|terminated|refused|reset|lost|ended)|connection timeout|timeout exceeded when trying to connect|not queryable|timed out|stream isn't writeable|max retries per request|^(?:LOADING|BUSY|TRYAGAIN|CLUSTERDOWN|MASTERDOWN|READONLY) |^OOM command not allowed|database is locked/i;

function transientMessage(message: unknown): boolean {
  return typeof message === 'string' && TRANSIENT_MESSAGE.test(message.slice(0, 500));
}

/** A property of a thrown value, or undefined when reading it throws (a hostile getter). */
function read(e: object, key: string): unknown {
  try {
    return (e as Record<string, unknown>)[key];
  } catch {
    return undefined;
  }
}
