/**
 * Job logs, one body for every backend: what jobs write with `ctx.logger` is kept per job,
 * bounded (the oldest dropped and counted), whatever a hostile job logs and however fast, beside
 * normal jobs whose logs stay whole; paged for live views; deleted when the job expires.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { BackgroundJobServer, JobClient, MAX_JOB_LOG_MESSAGE, ValidationError, defineJob, silentLogger } from '../../src/index.js';
import type { StorageTarget } from '../fixtures/storage-targets.js';
import { waitFor } from '../support/wait.js';

const LOOP_LINES = 3000;

/** Logs thousands of lines in a tight loop, then values no JSON writer takes as they are. */
const chattyJob = defineJob({
  name: 'logs-chatty',
  run(_: void, ctx) {
    for (let i = 1; i <= LOOP_LINES; i++) ctx.logger.debug(`line ${i}`);
    const circular: Record<string, unknown> = { name: 'loop' };
    circular['self'] = circular;
    ctx.logger.info('circular', { circular });
    ctx.logger.warn('throwing getter', {
      get boom(): string {
        throw new Error('getter exploded');
      },
    });
    ctx.logger.info('odd values', { big: 12345678901234567890n, error: new TypeError('bad'), fn: () => 1, when: new Date(0) });
    ctx.logger.error('x'.repeat(MAX_JOB_LOG_MESSAGE + 500));
    return 'done';
  },
});

const quietJob = defineJob({
  name: 'logs-quiet',
  run(n: number, ctx) {
    ctx.logger.info('begin', { n });
    ctx.logger.info('end');
    return n;
  },
});

export function jobLogSuite(target: StorageTarget): void {
  describe(`job logs: ${target.name}`, () => {
    it('keeps each job its newest lines, counts the dropped ones, stores any value; normal jobs beside a chatty one keep theirs whole', async () => {
      const { storage, destroy } = await target.open();
      const client = new JobClient({ storage, logger: silentLogger });
      assert.throws(() => new BackgroundJobServer({ storage, jobLogLines: -1 }), (e: unknown) => e instanceof ValidationError && e.field === 'jobLogLines');
      const server = new BackgroundJobServer({ storage, jobs: [chattyJob, quietJob], jobLogLines: 20, logger: silentLogger });
      try {
        await server.start();
        const chatty = await client.enqueue(chattyJob, undefined);
        const quiet = await client.enqueueMany(quietJob, [1, 2, 3, 4, 5]);
        for (const id of [chatty, ...quiet]) await client.waitFor(id, { timeout: '60s' });

        const job = await client.get(chatty);
        const logs = job!.logs;
        const total = LOOP_LINES + 4;
        assert.equal(logs.lastSeq, total);
        assert.equal(logs.dropped, total - 20);
        assert.deepEqual(
          logs.lines.map((l) => l.seq),
          Array.from({ length: 20 }, (_, i) => total - 19 + i),
        );
        assert.deepEqual(
          logs.lines.slice(0, 16).map((l) => [l.level, l.message]),
          Array.from({ length: 16 }, (_, i) => ['debug', `line ${LOOP_LINES - 15 + i}`]),
        );
        const [circular, getter, odd, long] = logs.lines.slice(16);
        assert.deepEqual(circular?.fields, { circular: { name: 'loop', self: '[Circular]' } });
        assert.deepEqual([getter?.level, getter?.fields], ['warn', { unserializable: 'getter exploded' }]);
        assert.deepEqual(odd?.fields, { big: '12345678901234567890', error: { type: 'TypeError', message: 'bad' }, when: '1970-01-01T00:00:00.000Z' });
        assert.equal(long?.level, 'error');
        assert.ok(long!.message.startsWith('x'.repeat(MAX_JOB_LOG_MESSAGE)) && long!.message.endsWith('(500 more characters)'));

        for (const [i, id] of quiet.entries()) {
          const page = await client.logs(id);
          assert.deepEqual(
            page.lines.map((l) => [l.seq, l.message, l.fields]),
            [
              [1, 'begin', { n: i + 1 }],
              [2, 'end', undefined],
            ],
          );
          assert.equal(page.dropped, 0);
        }
        // A live view asks for what came after the last line it has.
        const tail = await client.logs(chatty, { after: total - 2 });
        assert.deepEqual(
          tail.lines.map((l) => l.seq),
          [total - 1, total],
        );
        assert.deepEqual((await client.logs(chatty, { after: total - 5, limit: 1 })).lines.map((l) => l.seq), [total - 4]);
        await assert.rejects(client.logs(chatty, { after: -1 }), (e: unknown) => e instanceof ValidationError && e.field === 'query.after');
        await assert.rejects(client.logs(chatty, { limit: 1.5 }), (e: unknown) => e instanceof ValidationError && e.field === 'query.limit');
        await assert.rejects(client.logs(chatty, { limit: 0 }), (e: unknown) => e instanceof ValidationError && e.field === 'query.limit');
        assert.equal((await client.logs(chatty)).lastSeq, total, 'bad queries wrote nothing');
      } finally {
        await server.dispose();
        await destroy();
      }
    });

    it('deletes a job log when the job expires', async () => {
      const { storage, destroy } = await target.open();
      const client = new JobClient({ storage, logger: silentLogger });
      // The server's clock jumps past the job's retention once its log has been read.
      let ahead = 0;
      const clock = { now: () => Date.now() + ahead };
      const server = new BackgroundJobServer({ storage, jobs: [quietJob], expirationCheckInterval: 10, clock, logger: silentLogger });
      try {
        await server.start();
        const [gone, kept] = await client.enqueueMany(quietJob, [7, 8]);
        await client.waitFor(gone!, { timeout: '60s' });
        await client.waitFor(kept!, { timeout: '60s' });
        // The log is written before the job's final state: there the moment it succeeded.
        assert.equal((await client.logs(gone!)).lastSeq, 2);
        await client.requeue(kept!, { queue: 'nobody' });
        ahead = 2 * 86_400_000;
        await waitFor('the expired job to be deleted', async () => (await client.get(gone!)) === null);
        assert.deepEqual(await client.logs(gone!), { lines: [], dropped: 0, lastSeq: 0 });
        // A job that did not expire keeps its log.
        assert.equal((await client.logs(kept!)).lastSeq, 2);
      } finally {
        await server.dispose();
        await destroy();
      }
    });
  });
}
