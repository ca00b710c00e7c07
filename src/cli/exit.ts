import { KilnError } from '../errors.js';

/**
 * The `kiln` command's exit codes: 0 done; 1 bad input (an unknown command, option or state, a
 * value that does not parse, an id or job that does not exist); 2 the storage cannot be used (its
 * server does not answer, or the file, database or schema it names does not exist).
 */
export const EXIT = { ok: 0, badInput: 1, storage: 2 } as const;

/** Bad input on the command line: the message says what is wrong and where to read more. */
export class UsageError extends KilnError {
  override name = 'UsageError';
}

/** The storage named by `--storage` is not there or does not answer. Nothing was created. */
export class StorageUnavailableError extends KilnError {
  override name = 'StorageUnavailableError';
}
