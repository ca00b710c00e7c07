import { SpanKind, SpanStatusCode, context, propagation, trace, type Span, type Tracer } from '@opentelemetry/api';
import { describeError } from '../errors.js';
import type { NewJob, StateName } from '../storage/contract/index.js';
import { ATTR, MESSAGING_SYSTEM, TRACE_CONTEXT_PARAMETER } from './tracer.js';

/** The client operation that created jobs in their first state. */
const OPERATION: Record<StateName, string> = {
  enqueued: 'enqueue',
  scheduled: 'schedule',
  awaiting: 'continue',
  processing: 'enqueue',
  succeeded: 'enqueue',
  failed: 'enqueue',
  deleted: 'enqueue',
};

/**
 * Writes `jobs` inside a producer span (`enqueue <queue>`, `schedule <queue>`, `continue
 * <queue>`: kind PRODUCER, operation type `send`), after putting the span's context into each
 * job's parameters (`traceContext`) with the application's propagator, so that each run's span
 * is a child of this one, and so of the span that was active when the job was enqueued. A batch
 * (`enqueueMany`) is one span and one context for all its jobs. A failed write is recorded on the
 * span and thrown as it was.
 */
export async function produce<T>(tracer: Tracer, jobs: NewJob[], write: () => Promise<T>): Promise<T> {
  const first = jobs[0]!;
  const operation = OPERATION[first.state.name];
  const attributes: Record<string, string | number> = {
    [ATTR.system]: MESSAGING_SYSTEM,
    [ATTR.operationType]: 'send',
    [ATTR.operationName]: operation,
    [ATTR.destination]: first.queue,
    [ATTR.jobName]: first.name,
  };
  if (jobs.length === 1) attributes[ATTR.messageId] = first.id;
  else attributes[ATTR.batchCount] = jobs.length;
  const span = tracer.startSpan(`${operation} ${first.queue}`, { kind: SpanKind.PRODUCER, attributes }, context.active());
  const active = trace.setSpan(context.active(), span);
  const carrier: Record<string, string> = {};
  propagation.inject(active, carrier);
  if (Object.keys(carrier).length > 0) for (const job of jobs) job.parameters[TRACE_CONTEXT_PARAMETER] = carrier;
  try {
    return await context.with(active, write);
  } catch (e) {
    recordFailure(span, e, undefined);
    throw e;
  } finally {
    span.end();
  }
}

/** Records an error on a span and marks it failed; `reason` is the status message when given. */
export function recordFailure(span: Span, error: unknown, reason: string | undefined): void {
  if (error !== undefined) {
    const d = describeError(error);
    span.recordException({ name: d.type, message: d.message, ...(d.stack ? { stack: d.stack } : {}) });
  }
  const message = reason ?? (error === undefined ? undefined : describeError(error).message);
  span.setStatus(message === undefined ? { code: SpanStatusCode.ERROR } : { code: SpanStatusCode.ERROR, message });
}
