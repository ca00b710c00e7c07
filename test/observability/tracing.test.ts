import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { InMemorySpanExporter, NodeTracerProvider, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-node';
import { JobClient, SqliteStorage, TRACE_CONTEXT_PARAMETER, silentLogger } from '../../src/index.js';
import { tempDir } from '../dashboard/helpers.js';
import { tracedFails, tracedOk } from '../fixtures/traced-jobs.js';

const execFileP = promisify(execFile);
const child = join(import.meta.dirname, '../fixtures/traced-server.ts');

/** A span as the child server prints it. */
interface ChildSpan {
  name: string;
  kind: SpanKind;
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  attributes: Record<string, unknown>;
  status: { code: SpanStatusCode; message?: string };
  events: Array<{ name: string; attributes?: Record<string, unknown> }>;
}

describe('OpenTelemetry tracing', () => {
  const exporter = new InMemorySpanExporter();
  const tmp = tempDir('kiln-tracing-');
  const storage = new SqliteStorage(join(tmp.dir, 'kiln.db'));
  const client = new JobClient({ storage, logger: silentLogger });
  before(() => {
    new NodeTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] }).register();
  });
  after(async () => {
    await storage.close();
    tmp.remove();
  });

  it('continues the trace of the request that enqueued a job in its run, in another process', async () => {
    // An HTTP request's span, as an instrumented web framework would have active.
    const { request, ok, fails } = await trace.getTracer('web').startActiveSpan('POST /signup', async (span) => {
      const ids = { request: span.spanContext(), ok: await client.enqueue(tracedOk, 1), fails: await client.enqueue(tracedFails, undefined as never) };
      span.end();
      return ids;
    });
    const producers = exporter.getFinishedSpans().filter((s) => s.kind === SpanKind.PRODUCER);
    assert.equal(producers.length, 2);
    const producerOf = (id: string) => producers.find((s) => s.attributes['messaging.message.id'] === id)!;
    for (const p of producers) {
      assert.equal(p.name, 'enqueue traced');
      assert.equal(p.parentSpanContext?.spanId, request.spanId, 'enqueue is a child of the request');
      assert.equal(p.spanContext().traceId, request.traceId);
      assert.equal(p.attributes['messaging.system'], 'kiln');
      assert.equal(p.attributes['messaging.operation.type'], 'send');
      assert.equal(p.attributes['messaging.destination.name'], 'traced');
    }
    const carried = (await storage.getJob(ok))!.parameters[TRACE_CONTEXT_PARAMETER] as { traceparent: string };
    assert.match(carried.traceparent, new RegExp(`^00-${request.traceId}-${producerOf(ok).spanContext().spanId}-01$`));

    const { stdout } = await execFileP(process.execPath, ['--import', 'tsx', child, join(tmp.dir, 'kiln.db'), '2'], { timeout: 60_000 });
    const spans = JSON.parse(stdout) as ChildSpan[];
    const runOf = (id: string) => spans.find((s) => s.kind === SpanKind.CONSUMER && s.attributes['messaging.message.id'] === id)!;

    const run = runOf(ok);
    assert.equal(run.name, 'process traced');
    assert.equal(run.traceId, request.traceId, 'one trace from the request to the run');
    assert.equal(run.parentSpanId, producerOf(ok).spanContext().spanId, "the run's parent is the enqueue span");
    assert.deepEqual(
      {
        system: run.attributes['messaging.system'],
        operation: run.attributes['messaging.operation.type'],
        queue: run.attributes['messaging.destination.name'],
        job: run.attributes['kiln.job.name'],
        attempt: run.attributes['kiln.job.attempt'],
        outcome: run.attributes['kiln.job.outcome'],
      },
      { system: 'kiln', operation: 'process', queue: 'traced', job: 'traced-ok', attempt: 1, outcome: 'succeeded' },
    );
    assert.notEqual(run.status.code, SpanStatusCode.ERROR);
    const inner = spans.find((s) => s.name === 'inner work')!;
    assert.equal(inner.parentSpanId, run.spanId, "a span the job makes is the run's child");
    assert.equal(inner.traceId, request.traceId);

    const failed = runOf(fails);
    assert.equal(failed.parentSpanId, producerOf(fails).spanContext().spanId);
    assert.equal(failed.status.code, SpanStatusCode.ERROR);
    assert.match(failed.status.message ?? '', /TypeError: no such user/);
    assert.equal(failed.attributes['kiln.job.outcome'], 'failed');
    const exception = failed.events.find((e) => e.name === 'exception');
    assert.equal(exception?.attributes?.['exception.type'], 'TypeError');
    assert.equal(exception?.attributes?.['exception.message'], 'no such user');
  });

  it('records a failed write on the producer span, and carries nothing with tracing: false', async () => {
    exporter.reset();
    const untraced = new JobClient({ storage, logger: silentLogger, tracing: false });
    const id = await untraced.enqueue(tracedOk, 2);
    assert.equal(TRACE_CONTEXT_PARAMETER in (await storage.getJob(id))!.parameters, false);
    assert.equal(exporter.getFinishedSpans().length, 0);

    const closed = new SqliteStorage(join(tmp.dir, 'closed.db'));
    const failing = new JobClient({ storage: closed, logger: silentLogger });
    await failing.ready();
    await closed.close();
    await assert.rejects(failing.enqueueMany(tracedOk, [1, 2, 3]));
    const [span] = exporter.getFinishedSpans();
    assert.equal(span?.attributes['messaging.batch.message_count'], 3);
    assert.equal(span?.status.code, SpanStatusCode.ERROR);
    assert.ok(span?.events.some((e) => e.name === 'exception'));
  });
});
