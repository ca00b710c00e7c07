/**
 * Describing a storage so another thread or process can open it (`StorageLifecycle.describe`),
 * and opening one from its description. The server's heartbeat thread uses this to get a
 * connection of its own to the same store.
 */
import { KilnError, errorMessage } from '../errors.js';
import { checkJson } from '../jobs/args.js';
import type { Logger } from '../logger.js';
import type { Json, Storage, StorageDescriptor } from './contract/index.js';

/**
 * A description of a storage built by `new <export>(...args)` from `module`, or undefined when an
 * argument is not plain JSON (a pool, a client, a function, a buffer): such a storage cannot be
 * opened elsewhere. Fields that are `undefined` are left out, as JSON does.
 */
export function describeStorage(module: string, exportName: string, args: unknown[]): StorageDescriptor | undefined {
  try {
    checkJson(args, 'args');
  } catch {
    return undefined;
  }
  return { module, export: exportName, args: JSON.parse(JSON.stringify(args)) as Json[] };
}

/**
 * Opens the storage a descriptor names, with `logger` for its background problems (added to the
 * last argument, its options). Rejects with a `KilnError` saying what is wrong with the
 * descriptor; the caller closes the storage.
 */
export async function openDescribedStorage(descriptor: StorageDescriptor, logger: Logger): Promise<Storage> {
  let exported: unknown;
  try {
    exported = ((await import(descriptor.module)) as Record<string, unknown>)[descriptor.export];
  } catch (e) {
    throw new KilnError(`cannot load the storage module ${descriptor.module}: ${errorMessage(e)}`);
  }
  if (typeof exported !== 'function') throw new KilnError(`${descriptor.module} exports no storage class named '${descriptor.export}'`);
  const args: unknown[] = [...descriptor.args];
  const last = args.length - 1;
  if (last >= 0 && typeof args[last] === 'object' && args[last] !== null && !Array.isArray(args[last])) {
    args[last] = { ...(args[last] as object), logger };
  }
  return new (exported as new (...a: unknown[]) => Storage)(...args);
}
