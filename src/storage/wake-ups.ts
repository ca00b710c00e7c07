import { errorMessage } from '../errors.js';
import type { Logger } from '../logger.js';
import type { StorageEvent } from './contract/index.js';

/**
 * The wake-ups that Postgres (`pg_notify`) and Redis (`PUBLISH`) carry between processes, as the
 * small JSON texts their SQL and Lua write: `{"t":"e","q":"<queue>"}` (jobs arrived in a queue)
 * and `{"t":"a","id":"<job>"}` (a running job was taken away). Anything else on the channel is
 * not Kiln's, and is `null`.
 */
export function parseWakeUp(payload: string): StorageEvent | null {
  try {
    const m = JSON.parse(payload) as { t?: unknown; q?: unknown; id?: unknown };
    if (m.t === 'e' && typeof m.q === 'string') return { type: 'enqueued', queue: m.q };
    if (m.t === 'a' && typeof m.id === 'string') return { type: 'aborted', jobId: m.id };
  } catch {
    // Not JSON: not ours.
  }
  return null;
}

/**
 * Hands an event to every listener of a storage. A listener that throws is logged and does not
 * keep the event from the others; one that unsubscribes meanwhile still gets this event.
 */
export function deliverWakeUp(
  listeners: ReadonlySet<(event: StorageEvent) => void>,
  event: StorageEvent,
  logger: Logger,
): void {
  for (const listener of [...listeners]) {
    try {
      listener(event);
    } catch (error) {
      logger.error('a storage event listener threw', { error: errorMessage(error) });
    }
  }
}
