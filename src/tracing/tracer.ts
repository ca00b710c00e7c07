import { trace, type Tracer, type TracerProvider } from '@opentelemetry/api';
import type { Json } from '../storage/contract/index.js';

/** The instrumentation scope of every Kiln span. */
export const TRACER_NAME = 'kilnjs';

/**
 * The job parameter carrying the trace context from enqueue to run: the carrier the application's
 * propagator writes, `{ traceparent, tracestate }` with the W3C Trace Context propagator that the
 * OpenTelemetry SDK registers by default.
 */
export const TRACE_CONTEXT_PARAMETER = 'traceContext';

/**
 * Span attributes: OpenTelemetry's messaging semantic conventions (v1.27+: system, operation
 * type and name, destination, message id, batch size), and Kiln's own for what they do not name.
 */
export const ATTR = {
  system: 'messaging.system',
  operationType: 'messaging.operation.type',
  operationName: 'messaging.operation.name',
  destination: 'messaging.destination.name',
  messageId: 'messaging.message.id',
  batchCount: 'messaging.batch.message_count',
  jobName: 'kiln.job.name',
  attempt: 'kiln.job.attempt',
  outcome: 'kiln.job.outcome',
  serverName: 'kiln.server.name',
} as const;

/** The `messaging.system` of Kiln's spans. */
export const MESSAGING_SYSTEM = 'kiln';

/** The API's global provider while no SDK is registered: a proxy whose delegate is unset. */
interface ProxyProvider extends TracerProvider {
  getDelegateTracer(name: string, version?: string): Tracer | undefined;
}

/**
 * Kiln's tracer when the application registered an OpenTelemetry SDK, else undefined, so that
 * without one Kiln makes no span, no context and no carrier at all (the API's no-op tracer would
 * still allocate a span per call). The global provider is a proxy until an SDK sets its delegate;
 * asking the proxy for its delegate's tracer costs a property read and a call.
 */
export function activeTracer(): Tracer | undefined {
  const provider = trace.getTracerProvider();
  if (typeof (provider as Partial<ProxyProvider>).getDelegateTracer === 'function') {
    return (provider as ProxyProvider).getDelegateTracer(TRACER_NAME);
  }
  return provider.getTracer(TRACER_NAME);
}

/** A carrier read back from a job's parameters: an object of strings, or undefined. */
export function carrierOf(parameters: Readonly<Record<string, Json>>): Record<string, string> | undefined {
  const value = parameters[TRACE_CONTEXT_PARAMETER];
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
  const carrier: Record<string, string> = {};
  for (const [k, v] of Object.entries(value)) if (typeof v === 'string') carrier[k] = v;
  return carrier;
}
