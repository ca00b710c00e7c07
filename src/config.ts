import { ValidationError } from './errors.js';
import { consoleLogger, type Logger } from './logger.js';
import type { JobFilter } from './states/filters.js';
import type { Storage } from './storage/contract/index.js';
import { SqliteStorage } from './storage/sqlite/index.js';

/** Process-wide defaults, used by every client and server that is not given its own. */
export interface KilnConfig {
  /** The storage used when a client or server is given none. Default: SQLite at `./kiln.db`. */
  storage?: Storage;
  /** Default: the console, info and above (debug with `KILN_DEBUG=1`). */
  logger?: Logger;
  /** Global filters, run for every job before the job definition's own. */
  filters?: JobFilter[];
  /**
   * The largest job arguments accepted, in bytes of JSON (default 512 KiB): a queue is no place
   * for files; pass a reference instead.
   */
  maxArgsBytes?: number;
}

interface ResolvedConfig {
  storage: Storage | undefined;
  logger: Logger;
  filters: JobFilter[];
  maxArgsBytes: number;
}

const config: ResolvedConfig = {
  storage: undefined,
  logger: consoleLogger(),
  filters: [],
  maxArgsBytes: 512 * 1024,
};

/** Sets process-wide defaults. Explicit options given to a client or server always win. */
export function configure(options: KilnConfig): void {
  if (typeof options !== 'object' || options === null) throw new ValidationError('options', 'must be an object');
  if (options.storage !== undefined) {
    if (typeof options.storage?.fetch !== 'function') throw new ValidationError('storage', 'must be a Kiln Storage');
    config.storage = options.storage;
  }
  if (options.logger !== undefined) config.logger = options.logger;
  if (options.filters !== undefined) {
    if (!Array.isArray(options.filters)) throw new ValidationError('filters', 'must be an array');
    config.filters = [...options.filters];
  }
  if (options.maxArgsBytes !== undefined) {
    if (!Number.isInteger(options.maxArgsBytes) || options.maxArgsBytes <= 0) {
      throw new ValidationError('maxArgsBytes', `must be a whole number > 0, got ${options.maxArgsBytes}`);
    }
    config.maxArgsBytes = options.maxArgsBytes;
  }
}

/** The configured storage, else (created once) the embedded SQLite file `./kiln.db`. */
export function defaultStorage(): Storage {
  config.storage ??= new SqliteStorage('./kiln.db');
  return config.storage;
}

export function defaultLogger(): Logger {
  return config.logger;
}

export function globalFilters(): readonly JobFilter[] {
  return config.filters;
}

export function maxArgsBytes(): number {
  return config.maxArgsBytes;
}
