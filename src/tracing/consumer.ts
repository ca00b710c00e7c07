import { ROOT_CONTEXT, SpanKind, context, propagation, trace } from '@opentelemetry/api';
import type { ObservedServer, RunObserver } from '../server/run-observer.js';
import type { JobRecord } from '../storage/contract/index.js';
import { recordFailure } from './producer.js';
import { ATTR, MESSAGING_SYSTEM, activeTracer, carrierOf } from './tracer.js';

/**
 * OpenTelemetry spans for job runs, on every server unless `tracing: false`: without a registered
 * SDK it returns at once and the run is not followed at all.
 *
 * Each run is a CONSUMER span `process <queue>` (operation type `process`, the queue as
 * destination, the job id as message id, its attempt and name), whose parent is the context its
 * `traceContext` parameter carries — the producer span of `enqueue`, itself a child of whatever
 * was active then (an HTTP request's span) — or a new trace when the job has none (recurring
 * occurrences, jobs enqueued without an SDK). The run (filters and job code) executes with the
 * span active, so spans the job makes are its children. A failed or retried attempt records its
 * error on the span and sets its status to ERROR; `kiln.job.outcome` tells how the run ended.
 */
export const tracingObserver: RunObserver = {
  observeRun(job: JobRecord, server: ObservedServer) {
    const tracer = activeTracer();
    if (!tracer) return undefined;
    // Never the context active in the server's loop: that is whatever was active at start().
    const carrier = carrierOf(job.parameters);
    const parent = carrier ? propagation.extract(ROOT_CONTEXT, carrier) : ROOT_CONTEXT;
    const span = tracer.startSpan(
      `process ${job.queue}`,
      {
        kind: SpanKind.CONSUMER,
        attributes: {
          [ATTR.system]: MESSAGING_SYSTEM,
          [ATTR.operationType]: 'process',
          [ATTR.operationName]: 'process',
          [ATTR.destination]: job.queue,
          [ATTR.messageId]: job.id,
          [ATTR.jobName]: job.name,
          [ATTR.attempt]: job.attempt,
          [ATTR.serverName]: server.name,
        },
      },
      parent,
    );
    const active = trace.setSpan(parent, span);
    return {
      around: (run) => context.with(active, run),
      end(end) {
        span.setAttribute(ATTR.outcome, end.outcome);
        if (end.outcome === 'failed' || end.outcome === 'retried') recordFailure(span, end.error, end.reason);
        span.end();
      },
    };
  },
};
