/**
 * Job events across a real process boundary, one body for every backend that processes share
 * (SQLite, Postgres, Redis): this process listens and enqueues, a `BackgroundJobServer` in a
 * child process (`test/fixtures/event-server.ts`) runs the jobs.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { JobClient, JobFailedError, WaitTimeoutError, silentLogger, type JobEvent } from '../../src/index.js';
import { brokenJob, echoJob, flakyJob } from '../fixtures/event-jobs.js';
import type { ProcessTarget } from './process-targets.js';

/** The server process: `ready` once it prints so, `stop()` disposes it and waits for its exit. */
function startServer(url: string): { ready: Promise<void>; stop(): Promise<void> } {
  const child = spawn(process.execPath, ['--import', 'tsx', join(import.meta.dirname, '../fixtures/event-server.ts'), url], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const exited = once(child, 'exit');
  let out = '';
  const ready = new Promise<void>((resolve, reject) => {
    child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
      out += chunk;
      if (out.includes('ready\n')) resolve();
    });
    void exited.then(([code]) => reject(new Error(`the server process exited with ${String(code)} before it was ready`)));
  });
  ready.catch(() => {});
  return {
    ready,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.stdin!.end('stop\n');
      const [code] = await exited;
      assert.equal(code, 0, 'the server process ended cleanly');
    },
  };
}

export function crossProcessSuite(target: ProcessTarget): void {
  describe(`job events across processes: ${target.name}`, () => {
    it('hears every event of a job another process runs (progress, a failure, its retry, success) in order; waitFor settles there', async () => {
      const { url, storage, destroy } = await target.open();
      const server = startServer(url);
      const client = new JobClient({ storage, logger: silentLogger });
      try {
        const heard: JobEvent[] = [];
        client.events.on('event', (e) => heard.push(e));
        await client.events.ready();
        await server.ready;

        const id = await client.enqueue(flakyJob, { n: 3 });
        assert.deepEqual(await client.waitFor(id, { timeout: '60s' }), { n: 3, attempt: 2 });
        const mine = heard.filter((e) => e.jobId === id);
        assert.deepEqual(
          mine.map((e) => `${e.type}:${e.attempt}`),
          ['enqueued:1', 'started:1', 'progress:1', 'failed:1', 'retrying:2', 'enqueued:2', 'started:2', 'progress:2', 'succeeded:2'],
        );
        for (const e of mine) assert.deepEqual([e.name, e.queue], ['events-flaky', 'default']);
        const [, started, progress1, failed, retrying, , , progress2, succeeded] = mine;
        assert.ok(started?.type === 'started' && started.serverId.length > 0);
        assert.deepEqual(progress1?.type === 'progress' && progress1.progress, 40);
        assert.deepEqual(progress2?.type === 'progress' && progress2.progress, 90);
        assert.ok(failed?.type === 'failed' && failed.willRetry);
        assert.deepEqual(failed.error, { type: 'TypeError', message: 'attempt 1 of 3 breaks' });
        assert.ok(retrying?.type === 'retrying' && retrying.runAt >= retrying.at - 1);
        assert.deepEqual(succeeded?.type === 'succeeded' && succeeded.result, { n: 3, attempt: 2 });
        // Events arrive in the order of the states (checked above). Their times are stamped by the
        // process that made each change, when it began the write (a fetch stamps its claim before
        // it reaches the database, so under load a claim's time can precede the commit of the
        // enqueue it found): they agree with that order to within a write's duration, not exactly.
        for (let i = 1; i < mine.length; i++) {
          assert.ok(mine[i]!.at >= mine[i - 1]!.at - 1_000, `${mine[i]!.type} long before ${mine[i - 1]!.type}: ${JSON.stringify(mine)}`);
        }

        // Already finished: settles from the stored job.
        assert.deepEqual(await client.waitFor(id), { n: 3, attempt: 2 });
        // The other process's ctx.logger lines are kept with the job, the runner's own included.
        const job = await client.get(id);
        assert.deepEqual(
          job?.logs.lines.map((l) => [l.level, l.message]),
          [
            ['info', 'attempt 1 starts'],
            ['warn', 'failed: TypeError: attempt 1 of 3 breaks'],
            ['info', 'attempt 2 starts'],
          ],
        );
        assert.deepEqual(job?.logs.lines[0]?.fields, { n: 3 });

        const broken = await client.enqueue(brokenJob, { why: 'the disk is full' });
        await assert.rejects(client.waitFor(broken, { timeout: '60s' }), (e: unknown) => {
          assert.ok(e instanceof JobFailedError);
          assert.deepEqual([e.jobId, e.state, e.error?.type, e.error?.message], [broken, 'failed', 'RangeError', 'the disk is full']);
          return true;
        });
        const stuck = await client.enqueue(echoJob, { value: 'nobody serves this queue' }, { queue: 'nobody' });
        await assert.rejects(client.waitFor(stuck, { timeout: 100 }), WaitTimeoutError);
      } finally {
        await client.events.close();
        await server.stop();
        await destroy();
      }
    });
  });
}
