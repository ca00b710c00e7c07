import { closeSync, existsSync, openSync, readSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { errorMessage } from '../errors.js';
import type { Logger } from '../logger.js';
import type { Storage } from '../storage/contract/index.js';
import { parseStorageUrl, redactUrl, type StorageLocation } from '../storage/url.js';
import { StorageUnavailableError, UsageError } from './exit.js';

/** Where the command's storage URL came from, for messages. */
export interface StorageChoice {
  url: string;
  from: '--storage' | 'KILN_STORAGE' | 'the default';
}

/** `--storage`, else `$KILN_STORAGE`, else `./kiln.db`: the same default as a server without options. */
export function chooseStorage(given: string | undefined, env: NodeJS.ProcessEnv = process.env): StorageChoice {
  if (given !== undefined) return { url: given, from: '--storage' };
  const fromEnv = env['KILN_STORAGE'];
  if (fromEnv !== undefined && fromEnv !== '') return { url: fromEnv, from: 'KILN_STORAGE' };
  return { url: './kiln.db', from: 'the default' };
}

/**
 * Opens the storage for one command.
 *
 * `create` (`kiln migrate`, `kiln server`) migrates it, creating the file, schema or scripts if
 * needed. `existing` (every other command) creates nothing: a SQLite file must exist and be a
 * SQLite database, and the storage is read once (`statistics()`) to prove that its database and
 * schema are there and answer; the storage handed back has a `migrate()` that does nothing, so no
 * client or dashboard built on it creates anything either. Failures are `StorageUnavailableError`s
 * (exit 2) that name what is missing; a URL that does not parse is a `UsageError` (exit 1).
 */
export async function openStorage(choice: StorageChoice, mode: 'existing' | 'create', command: string, logger: Logger): Promise<Storage> {
  let location: StorageLocation;
  try {
    location = parseStorageUrl(choice.url, choice.from === 'the default' ? '--storage' : choice.from);
  } catch (e) {
    throw new UsageError(errorMessage(e));
  }
  if (location.kind === 'memory') {
    throw new UsageError(`${choice.from} is memory:, which lives inside one process: the kiln command cannot see another process's jobs. Give postgres://…, redis://… or a SQLite file.`);
  }
  if (mode === 'existing' && location.kind === 'sqlite') checkSqliteFile(location.path, choice, command);
  // Loaded here, not at start: `kiln --help` and refused command lines need no backend.
  const { storageFromUrl } = await import('../storage/from-url.js');
  const storage = storageFromUrl(choice.url, { logger });
  try {
    if (mode === 'create') await storage.migrate();
    else await storage.statistics();
  } catch (e) {
    await storage.close().catch(() => {});
    throw new StorageUnavailableError(unavailable(location, choice, e));
  }
  return mode === 'create' ? storage : withoutMigrate(storage);
}

/** The first 16 bytes of every SQLite database file. */
const SQLITE_HEADER = 'SQLite format 3\0';

function checkSqliteFile(path: string, choice: StorageChoice, command: string): void {
  const file = resolve(path);
  const hint = choice.from === 'the default' ? ' (no --storage given and KILN_STORAGE is not set)' : ` (from ${choice.from})`;
  if (!existsSync(file)) {
    throw new StorageUnavailableError(
      `no Kiln database at ${file}${hint}; kiln ${command} never creates one. Check the path, or create it with kiln migrate --storage ${path}`,
    );
  }
  if (!statSync(file).isFile() || !startsWith(file, SQLITE_HEADER)) {
    throw new StorageUnavailableError(`${file}${hint} is not a SQLite database`);
  }
}

function startsWith(file: string, header: string): boolean {
  const fd = openSync(file, 'r');
  try {
    const buffer = Buffer.alloc(header.length);
    return readSync(fd, buffer, 0, header.length, 0) === header.length && buffer.toString('latin1') === header;
  } finally {
    closeSync(fd);
  }
}

/** SQLSTATEs of a database or schema that is not there (Postgres: 3D000, 3F000, 42P01, 42883). */
const MISSING_IN_POSTGRES = new Set(['3F000', '42P01', '42883']);

/** Says what could not be used, naming the database, schema or server. */
function unavailable(location: StorageLocation, choice: StorageChoice, error: unknown): string {
  const where = redactUrl(choice.url);
  const code = typeof error === 'object' && error !== null ? (error as { code?: unknown }).code : undefined;
  if (location.kind === 'postgres' && typeof code === 'string' && MISSING_IN_POSTGRES.has(code)) {
    return `no Kiln schema "${location.schema ?? 'kiln'}" in ${where} (${errorMessage(error)}); create it with kiln migrate, or fix ?schema=`;
  }
  if (location.kind === 'postgres' && code === '3D000') return `${errorMessage(error)} (${where})`;
  const kind = location.kind === 'postgres' ? 'Postgres' : location.kind === 'redis' ? 'Redis' : 'SQLite';
  // ioredis rejects a call on a connection that cannot be made with this, not with the socket error.
  const silent = error instanceof Error && error.name === 'MaxRetriesPerRequestError';
  return `cannot use the ${kind} storage at ${where}: ${silent ? 'Redis does not answer (connection refused or timed out)' : errorMessage(error)}`;
}

/**
 * The storage with a `migrate()` that does nothing: commands that act on an existing storage hand
 * it to `JobClient` and the dashboard, which call `migrate()` before first use.
 */
function withoutMigrate(storage: Storage): Storage {
  return new Proxy(storage, {
    get(target, key) {
      if (key === 'migrate') return () => Promise.resolve();
      const value: unknown = Reflect.get(target, key, target);
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
}
