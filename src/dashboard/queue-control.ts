import type { JobClient } from '../client/job-client.js';
import type { Queues } from '../client/queues.js';

/** The queue actions the dashboard offers: `JobClient.queues`'s pause and resume. */
export type QueueControl = Pick<Queues, 'pause' | 'resume'>;

export type QueueAction = keyof QueueControl;
export const QUEUE_ACTIONS: readonly QueueAction[] = ['pause', 'resume'];

/**
 * The client's queue API, looked up defensively as `recurringControl` looks up its recurring
 * API: without it the Queues page shows queues without buttons.
 */
export function queueControl(client: JobClient): QueueControl | undefined {
  const q = (client as { queues?: Partial<QueueControl> }).queues;
  if (!q || !QUEUE_ACTIONS.every((a) => typeof q[a] === 'function')) return undefined;
  return q as QueueControl;
}
