import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { describe, it } from 'node:test';
import { pino } from 'pino';
import { BackgroundJobServer, JobClient, MemoryStorage, defineJob, pinoLogger } from '../../src/index.js';
import { waitFor } from '../support/wait.js';

/** A real pino writing JSON lines into an array. */
function capture(): { lines: Array<Record<string, unknown>>; logger: ReturnType<typeof pino> } {
  const lines: Array<Record<string, unknown>> = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString().split('\n')) if (line) lines.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
  return { lines, logger: pino({ level: 'debug' }, stream) };
}

describe('pinoLogger', () => {
  it('keeps the message, every detail and an error with its stack', () => {
    const { lines, logger } = capture();
    const log = pinoLogger(logger);
    log.warn('fetching jobs failed', { jobId: 'j-1', attempts: 3, error: new TypeError('socket closed') });
    log.debug('tick', { n: 1 });
    assert.equal(lines.length, 2);
    assert.equal(lines[0]!['msg'], 'fetching jobs failed');
    assert.equal(lines[0]!['level'], 40);
    assert.equal(lines[0]!['jobId'], 'j-1');
    assert.equal(lines[0]!['attempts'], 3);
    const err = lines[0]!['err'] as { type: string; message: string; stack: string };
    assert.equal(err.type, 'TypeError');
    assert.equal(err.message, 'socket closed');
    assert.match(err.stack, /TypeError: socket closed\n\s+at /);
    assert.deepEqual([lines[1]!['msg'], lines[1]!['level'], lines[1]!['n']], ['tick', 20, 1]);
  });

  it("carries a server's and a job's fields into pino, beside a job that throws a strange value", async () => {
    const { lines, logger } = capture();
    const storage = new MemoryStorage();
    const greet = defineJob({ name: 'pino-greet', run: (name: string, ctx) => ctx.logger.info(`hello ${name}`, { extra: true }) });
    const strange = defineJob({ name: 'pino-strange', retry: { attempts: 0 }, run: () => {
      throw 'a bare string, not an Error' as unknown as Error;
    } });
    const server = new BackgroundJobServer({ storage, jobs: [greet, strange], logger: pinoLogger(logger), name: 'pino-host:1', pollInterval: 20 });
    await server.start();
    const client = new JobClient({ storage, logger: pinoLogger(logger) });
    let bad: string, id: string;
    try {
      bad = await client.enqueue(strange, undefined);
      id = await client.enqueue(greet, 'ada');
      await waitFor('both jobs to end', async () => (await storage.getJob(id))?.state === 'succeeded' && (await storage.getJob(bad))?.state === 'failed');
    } finally {
      await server.dispose();
    }
    const hello = lines.find((l) => l['msg'] === 'hello ada');
    assert.ok(hello, 'the job logged through pino');
    assert.equal(hello['jobId'], id);
    assert.equal(hello['job'], 'pino-greet');
    assert.equal(hello['server'], 'pino-host:1');
    assert.equal(hello['extra'], true);
    const failed = lines.find((l) => l['jobId'] === bad && l['level'] === 40);
    assert.ok(failed, 'the strange failure is logged with its job id');
    assert.equal(failed['job'], 'pino-strange');
    assert.ok(lines.some((l) => l['msg'] === 'server started: 20 workers on queues default' && l['server'] === 'pino-host:1'));
  });
});
