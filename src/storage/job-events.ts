import type {
  JobEvent,
  JobEventBase,
  JobFailedEvent,
  Json,
  StateEntry,
  TransitionChange,
} from './contract/index.js';
import { MAX_EVENT_TEXT, MAX_EVENT_VALUE_BYTES } from './contract/index.js';

/**
 * How every backend builds the job events its writes publish (see `contract/events.ts`): from the
 * write's own inputs (the change, the claim, the reported progress) and the job as the write found
 * it. One function per kind of write, so no backend decides what an event says. A backend calls
 * them only once it knows someone listens: nothing here runs on a write nobody hears.
 *
 * A backend that builds its writes in SQL or Lua may call them in TypeScript with the rows its
 * write returns, inside the same transaction, or build the same JSON there; `encodeJobEvent` is the
 * wire form either way.
 */

/** What an event needs to know of its job: as the write found it, before the change. */
export interface EventJob {
  id: string;
  name: string;
  queue: string;
  attempt: number;
}

/** The job entered `enqueued` (created, requeued, due, recovered). */
export function enqueuedEvent(job: EventJob, reason: string | null | undefined, at: number): JobEvent {
  return { type: 'enqueued', ...base(job, at), reason: text(reason) };
}

/** The job was claimed by `serverId`. */
export function startedEvent(job: EventJob, serverId: string, at: number): JobEvent {
  return { type: 'started', ...base(job, at), serverId: cut(serverId, 100) };
}

/** The job reported progress (`mergeParameters` with a `progress` parameter). */
export function progressEvent(job: EventJob, progress: Json, at: number): JobEvent {
  const value = small(progress);
  return value === undefined
    ? { type: 'progress', ...base(job, at), progressOmitted: true }
    : { type: 'progress', ...base(job, at), progress: value, progressOmitted: false };
}

/**
 * The events of one applied `transition` change, in order: `failed` (when the change is, or
 * passes through, a failure), then the event of the state it lands in (`enqueued`, `started`,
 * `succeeded`, `retrying` for a `scheduled` after a failure, `deleted`). `job` is the job before
 * the change: its attempt is the one that failed.
 */
export function changeEvents(change: TransitionChange, job: EventJob): JobEvent[] {
  const to = change.to;
  const events: JobEvent[] = [];
  const moved = { ...job, queue: change.queue ?? job.queue };
  const failure = to.name === 'failed' ? to : change.passedThrough?.find((s) => s.name === 'failed');
  if (failure) events.push(failedEvent(moved, failure, to.name === 'scheduled'));
  const next = { ...moved, attempt: change.attempt ?? job.attempt };
  switch (to.name) {
    case 'enqueued':
      events.push(enqueuedEvent(next, to.reason, to.at));
      break;
    case 'processing':
      events.push(startedEvent(next, typeof to.data?.['serverId'] === 'string' ? to.data['serverId'] : '', to.at));
      break;
    case 'succeeded':
      events.push(succeededEvent(next, change.result, to.at));
      break;
    case 'scheduled':
      if (failure) events.push({ type: 'retrying', ...base(next, to.at), runAt: change.runAt ?? to.at, reason: text(to.reason) });
      break;
    case 'deleted':
      events.push({ type: 'deleted', ...base(next, to.at), reason: text(to.reason) });
      break;
    case 'failed':
    case 'awaiting':
      break;
  }
  return events;
}

function failedEvent(job: EventJob, failure: StateEntry, willRetry: boolean): JobFailedEvent {
  const data = failure.data ?? {};
  const type = typeof data['type'] === 'string' ? data['type'] : 'Error';
  const message = typeof data['error'] === 'string' ? data['error'] : (failure.reason ?? '');
  return {
    type: 'failed',
    ...base(job, failure.at),
    reason: text(failure.reason),
    error: { type: cut(type, 100), message: cut(message, MAX_EVENT_TEXT) },
    willRetry,
  };
}

function succeededEvent(job: EventJob, result: string | undefined, at: number): JobEvent {
  if (result !== undefined && Buffer.byteLength(result) <= MAX_EVENT_VALUE_BYTES) {
    try {
      return { type: 'succeeded', ...base(job, at), result: JSON.parse(result) as Json, resultOmitted: false };
    } catch {
      // Not JSON text (no engine writes such a result): left out, as a large one is.
    }
  }
  return { type: 'succeeded', ...base(job, at), resultOmitted: result !== undefined };
}

function base(job: EventJob, at: number): JobEventBase {
  return { jobId: job.id, name: job.name, queue: job.queue, attempt: job.attempt, at };
}

/** A value small enough to travel in an event, else undefined. */
function small(value: Json): Json | undefined {
  const json = JSON.stringify(value);
  return json !== undefined && Buffer.byteLength(json) <= MAX_EVENT_VALUE_BYTES ? value : undefined;
}

function text(value: string | null | undefined): string | null {
  return value === null || value === undefined ? null : cut(value, MAX_EVENT_TEXT);
}

function cut(value: string, max: number): string {
  return value.length <= max ? value : `${value.slice(0, max - 1)}…`;
}
