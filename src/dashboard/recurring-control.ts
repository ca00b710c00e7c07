import type { JobClient } from '../client/job-client.js';
import type { RecurringJobs } from '../client/recurring-jobs.js';

/** The recurring-job actions the dashboard offers: `JobClient.recurring`'s trigger/pause/resume/remove. */
export type RecurringControl = Pick<RecurringJobs, 'trigger' | 'pause' | 'resume' | 'remove'>;

export type RecurringAction = keyof RecurringControl;
export const RECURRING_ACTIONS: readonly RecurringAction[] = ['trigger', 'pause', 'resume', 'remove'];

/**
 * The client's recurring-job API. Looked up defensively (a client built by other means, or a test
 * double, may lack it): without it the dashboard shows recurring jobs without action buttons.
 */
export function recurringControl(client: JobClient): RecurringControl | undefined {
  const r = (client as { recurring?: Partial<RecurringControl> }).recurring;
  if (!r || !RECURRING_ACTIONS.every((a) => typeof r[a] === 'function')) return undefined;
  return r as RecurringControl;
}
