/**
 * The crash-loop body, one for each backend (crash-loop-<backend>.test.ts). The crash loop, with real processes (issue #11): a job that calls `process.exit(1)` and one that
 * leaves an unhandled rejection kill their server process each time they run. A supervisor (this
 * test) starts the server again after every death, as systemd or Kubernetes would. The storage
 * counts each requeue of a dead process's jobs as an interruption; after `maxInterruptions` the
 * next process fails the crasher instead of running it, with the reason in its history, and the
 * 200 other jobs — interrupted by the same crashes — all complete.
 */
import assert from 'node:assert/strict';
import { fork, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { JobClient, defineJob, silentLogger, type JobDetails, type Storage } from '../../src/index.js';
import { waitFor } from '../support/wait.js';

const NORMAL = 200;
const MAX_INTERRUPTIONS = 1;
const SERVER = join(import.meta.dirname, '../fixtures/crash-loop-server.ts');

// The client's view of the jobs the server process defines (test/fixtures/crash-loop-server.ts).
const normal = defineJob({ name: 'crash-loop-normal', run: (_: number) => 0 });
const exits = defineJob({ name: 'crash-loop-exit', run: () => {} });
const rejects = defineJob({ name: 'crash-loop-rejection', run: () => {} });

/** Keeps one server process running: starts it, and starts it again whenever it dies. */
class Supervisor {
  /** How many times the process died (and was started again). */
  deaths = 0;
  private child: ChildProcess | undefined;
  private stopping = false;

  constructor(private readonly storageUrl: string) {}

  start(): void {
    const child = fork(SERVER, [this.storageUrl, String(MAX_INTERRUPTIONS)], {
      execArgv: ['--import', 'tsx'],
      // Its crashes print their stack on stderr: expected, not shown.
      stdio: ['ignore', 'ignore', 'ignore', 'ipc'],
    });
    this.child = child;
    child.once('exit', () => {
      if (this.stopping) return;
      this.deaths++;
      this.start();
    });
  }

  /** Stops the running process gracefully (or kills it if it does not stop). */
  async stop(): Promise<void> {
    this.stopping = true;
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = once(child, 'exit');
    child.send('stop');
    const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
    await exited;
    clearTimeout(timer);
  }
}

/** A fresh storage for one test, and the URL the server processes open it with. */
export interface CrashLoopTarget {
  name: string;
  open(): Promise<{ storage: Storage; url: string; destroy(): Promise<void> }>;
}

export function crashLoopSuite({ name, open }: CrashLoopTarget): void {
  describe(`crash loop with real processes: ${name}`, () => {
    it(`fails the job that exits its process and the one that leaves an unhandled rejection after ${MAX_INTERRUPTIONS + 1} runs, and the ${NORMAL} others complete`, async () => {
      const { storage, url, destroy } = await open();
      const client = new JobClient({ storage, logger: silentLogger });
      const supervisor = new Supervisor(url);
      try {
        await client.ready();
        const first = await client.enqueueMany(normal, Array.from({ length: NORMAL / 2 }, (_, i) => i));
        const crashers = [await client.enqueue(exits, undefined), await client.enqueue(rejects, undefined)];
        const second = await client.enqueueMany(normal, Array.from({ length: NORMAL / 2 }, (_, i) => NORMAL / 2 + i));
        supervisor.start();

        const ended = (j: JobDetails | null) => j?.state === 'failed' || j?.state === 'succeeded';
        const [exited, rejected] = await waitFor(
          'the crashers to end',
          async () => {
            const jobs = await Promise.all(crashers.map((id) => storage.getJob(id)));
            return jobs.every(ended) ? (jobs as JobDetails[]) : undefined;
          },
          120_000,
        );
        const normals = [...first, ...second];
        await waitFor('every normal job to succeed', async () => (await storage.statistics()).states.succeeded === NORMAL, 60_000);

        for (const job of [exited!, rejected!]) {
          assert.equal(job.state, 'failed', `${job.name}: ${job.stateReason}`);
          assert.equal(
            job.stateReason,
            `Its runs kept ending without a result (server crashed or lost its lease ${MAX_INTERRUPTIONS + 1} times)`,
          );
          assert.equal(job.parameters['interruptions'], MAX_INTERRUPTIONS + 1);
          const requeues = job.history.filter((h) => h.name === 'enqueued').slice(1);
          assert.deepEqual(
            requeues.map((h) => /\(interruption (\d+)\)$/.exec(h.reason ?? '')?.[1]),
            Array.from({ length: MAX_INTERRUPTIONS + 1 }, (_, i) => String(i + 1)),
            `each requeue counted in the history: ${requeues.map((h) => h.reason).join(' | ')}`,
          );
          // It ran until the bound, then was fetched once more and failed without running.
          assert.equal(job.history.filter((h) => h.name === 'processing').length, MAX_INTERRUPTIONS + 2);
        }
        const results = await Promise.all(normals.map((id) => storage.getJob(id)));
        assert.deepEqual(
          results.filter((j) => j?.state !== 'succeeded').map((j) => `${j?.id} ${j?.state}`),
          [],
        );
        assert.deepEqual(results.map((j) => j!.result), normals.map((_, i) => String(i)));
        // Each crasher killed the process it ran in at most MAX_INTERRUPTIONS + 1 times.
        assert.ok(supervisor.deaths >= MAX_INTERRUPTIONS + 1 && supervisor.deaths <= 2 * (MAX_INTERRUPTIONS + 1), `${supervisor.deaths} deaths`);
      } finally {
        await supervisor.stop();
        await destroy();
      }
    });
  });
}
