import type { JobEvent } from './contract/index.js';
import { JOB_EVENT_TYPES, MAX_JOB_EVENT_BYTES } from './contract/index.js';

/**
 * The one wire form of a job event, for every backend that carries events as text (a Postgres
 * notification, a Redis message, a row of SQLite's events table): the event as JSON, at most
 * `MAX_JOB_EVENT_BYTES` bytes. The builders in `job-events.ts` already bound every part; should
 * an event still be larger (a job id far longer than the engine makes), its value and texts are
 * left out rather than the event lost.
 */
export function encodeJobEvent(event: JobEvent): string {
  const json = JSON.stringify(event);
  if (Buffer.byteLength(json) <= MAX_JOB_EVENT_BYTES) return json;
  const slim: Record<string, unknown> = { ...event };
  if ('result' in slim) (delete slim['result'], (slim['resultOmitted'] = true));
  if ('progress' in slim) (delete slim['progress'], (slim['progressOmitted'] = true));
  if ('reason' in slim && slim['reason'] !== null) slim['reason'] = '…';
  if (event.type === 'failed') slim['error'] = { type: event.error.type.slice(0, 50), message: '…' };
  return JSON.stringify(slim);
}

/** An event read from the wire; null for anything that is not one (another program's message). */
export function decodeJobEvent(text: string): JobEvent | null {
  try {
    const value = JSON.parse(text) as Partial<JobEvent> | null;
    if (
      typeof value === 'object' &&
      value !== null &&
      (JOB_EVENT_TYPES as readonly unknown[]).includes(value.type) &&
      typeof value.jobId === 'string' &&
      typeof value.at === 'number'
    ) {
      return value as JobEvent;
    }
  } catch {
    // Not JSON: not ours.
  }
  return null;
}
