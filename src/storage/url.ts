/**
 * Storage URLs: the one reading of a `postgres://`, `redis://` or SQLite location, shared by the
 * library (`PostgresStorage`, `RedisStorage`, `storageFromUrl`) and the `kiln` command, so that
 * one URL means one data set wherever it is given. Pure text handling: no backend is loaded here.
 */
import { ValidationError } from '../errors.js';

/** Where a storage URL points. */
export type StorageLocation =
  | { kind: 'postgres'; connectionString: string; schema: string | undefined }
  | { kind: 'redis'; url: string; prefix: string | undefined }
  | { kind: 'sqlite'; path: string }
  | { kind: 'memory' };

/** The schemes `parseStorageUrl` knows, as people write them. */
export const STORAGE_SCHEMES = ['postgres://', 'postgresql://', 'redis://', 'rediss://', 'sqlite:', 'memory:'] as const;

/**
 * Reads a storage URL:
 * - `postgres://…` / `postgresql://…`: Postgres; `?schema=` names Kiln's schema (default `kiln`)
 *   and is taken out of the connection string handed to `pg`;
 * - `redis://…` / `rediss://…`: Redis; `?prefix=` is the key prefix (default `kiln:`), taken out;
 * - `sqlite:./kiln.db`, `sqlite:///abs/kiln.db`, or a bare path (`./kiln.db`, `/var/lib/kiln.db`):
 *   a SQLite file;
 * - `memory:`: a `MemoryStorage`, this process only.
 *
 * Anything else that starts like a URL (`mysql://…`, `http:…`) is refused: guessing that it is a
 * file name would quietly create one. A one-letter "scheme" is a Windows drive (`C:\kiln.db`).
 * `field` names the input in the `ValidationError`.
 */
export function parseStorageUrl(url: string, field = 'url'): StorageLocation {
  if (typeof url !== 'string') throw new ValidationError(field, `must be a storage URL string, got ${typeof url}`);
  const text = url.trim();
  if (text === '') throw new ValidationError(field, 'is empty; give postgres://…, redis://…, sqlite:./file.db or a file path');
  const scheme = /^([a-z][a-z0-9+.-]+):/i.exec(text)?.[1]?.toLowerCase();
  switch (scheme) {
    case undefined:
      return { kind: 'sqlite', path: text };
    case 'postgres':
    case 'postgresql': {
      const { url: connectionString, value: schema } = takeUrlParam(text, 'schema', field);
      return { kind: 'postgres', connectionString, schema };
    }
    case 'redis':
    case 'rediss': {
      const { url: rest, value: prefix } = takeUrlParam(text, 'prefix', field);
      return { kind: 'redis', url: rest, prefix };
    }
    case 'sqlite': {
      const path = text.startsWith('sqlite://') ? text.slice('sqlite://'.length) : text.slice('sqlite:'.length);
      if (path === '') throw new ValidationError(field, 'names no file: write sqlite:./kiln.db');
      return { kind: 'sqlite', path };
    }
    case 'memory':
      return { kind: 'memory' };
    default:
      throw new ValidationError(
        field,
        `unknown storage scheme '${scheme}:' in ${redactUrl(text)}; Kiln stores jobs in postgres://…, postgresql://…, redis://…, rediss://…, sqlite:./file.db (or a file path) or memory:`,
      );
  }
}

/**
 * Takes one query parameter out of a URL, leaving every other character as it was (other
 * parameters keep their own encoding). An empty value is refused; a repeated one too, unless
 * every copy says the same.
 */
export function takeUrlParam(url: string, name: string, field = 'url'): { url: string; value: string | undefined } {
  const q = url.indexOf('?');
  if (q === -1) return { url, value: undefined };
  const hash = url.indexOf('#', q);
  const query = url.slice(q + 1, hash === -1 ? undefined : hash);
  const kept: string[] = [];
  const values = new Set<string>();
  for (const pair of query.split('&')) {
    const eq = pair.indexOf('=');
    const key = decode(eq === -1 ? pair : pair.slice(0, eq));
    if (key === name) values.add(eq === -1 ? '' : decode(pair.slice(eq + 1)));
    else if (pair !== '') kept.push(pair);
  }
  if (values.size === 0) return { url, value: undefined };
  if (values.size > 1) throw new ValidationError(field, `gives ?${name}= more than once with different values`);
  const [value] = values as unknown as [string];
  if (value === '') throw new ValidationError(field, `has an empty ?${name}=`);
  const tail = hash === -1 ? '' : url.slice(hash);
  return { url: url.slice(0, q) + (kept.length > 0 ? `?${kept.join('&')}` : '') + tail, value };
}

/**
 * A connection as the backends take it (a URL string, or a config object with a
 * `connectionString`) with Kiln's own parameter (`schema`, `prefix`) taken out of the URL, and
 * its value. Objects without a connection string and clients come back unchanged.
 */
export function splitConnection<C>(connection: C, name: 'schema' | 'prefix'): { connection: C; value: string | undefined } {
  if (typeof connection === 'string') {
    const { url, value } = takeUrlParam(connection, name, 'connection');
    return { connection: url as C, value };
  }
  if (typeof connection === 'object' && connection !== null && typeof (connection as { connectionString?: unknown }).connectionString === 'string') {
    const config = connection as unknown as { connectionString: string };
    const { url, value } = takeUrlParam(config.connectionString, name, 'connection.connectionString');
    return value === undefined ? { connection, value } : { connection: { ...config, connectionString: url } as C, value };
  }
  return { connection, value: undefined };
}

/** A URL fit for a message or a log line: the password replaced by `***`. */
export function redactUrl(url: string): string {
  return url.replace(/^([a-z][a-z0-9+.-]*:\/\/[^/?#@:]*:)[^/?#@]*@/i, '$1***@');
}

function decode(text: string): string {
  try {
    return decodeURIComponent(text.replace(/\+/g, ' '));
  } catch {
    return text;
  }
}
