import { ValidationError } from '../errors.js';
import type { CreateOptions } from './contract/index.js';

/**
 * Refuses `CreateOptions.tx` in a backend that cannot join an application's transaction (memory,
 * SQLite, Redis). A caller who passes one believes the jobs commit or roll back with their own
 * writes; inserting them anyway would break that silently. Throws before anything is written.
 */
export function refuseTransaction(options: CreateOptions, storage: string, why: string): void {
  if (options.tx !== undefined) throw new ValidationError('options.tx', `${storage} cannot join a transaction: ${why}`);
}
