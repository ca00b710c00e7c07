/**
 * Isolated execution (`defineJob({ isolation, module })`): hostile jobs in worker threads and
 * child processes beside normal ones, on a real SQLite file. A busy loop past the lease is ended
 * at its timeout and retried; `process.exit`, an uncaught error and an exhausted heap each fail
 * their attempt with their reason and are retried, the server survives, the normal jobs finish;
 * deleting a running isolated job kills its process.
 */
import assert from 'node:assert/strict';
import { fork } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { BackgroundJobServer, JobClient, SqliteStorage, defineJob, silentLogger, type JobDetails, type Logger } from '../../src/index.js';
import { failsInThread, inProcesses, inThreads, spinInProcess, spinThenSucceed } from '../fixtures/isolated-jobs.js';
import { recordingLogger } from '../support/recording-logger.js';
import { waitFor } from '../support/wait.js';

const quick = defineJob({ name: 'iso-neighbour', run: (n: number) => n + 1 });
const allJobs = [spinThenSucceed, spinInProcess, quick, failsInThread, ...Object.values(inThreads), ...Object.values(inProcesses)];

let dir: string;
let storage: SqliteStorage;
let client: JobClient;

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'kiln-isolation-'));
  storage = new SqliteStorage(join(dir, 'kiln.db'));
  client = new JobClient({ storage, logger: silentLogger });
});
after(async () => {
  await storage.close();
  rmSync(dir, { recursive: true, force: true });
});

function server(options: { queues?: string[]; poolSize?: number; logger?: Logger } = {}): BackgroundJobServer {
  return new BackgroundJobServer({
    storage,
    jobs: allJobs,
    workerCount: 8,
    queues: options.queues ?? ['default'],
    leaseTimeout: 2_000,
    heartbeatInterval: 300,
    serverTimeout: 2_000,
    serverCheckInterval: 100,
    pollInterval: 50,
    schedulePollingInterval: 50,
    stopTimeout: 100,
    isolation: { poolSize: options.poolSize ?? 4, memoryLimitMb: 64 },
    logger: options.logger ?? silentLogger,
  });
}

/** Waits until every job is final; the failure message says where each one is. */
async function settled(ids: string[], timeoutMs = 120_000): Promise<JobDetails[]> {
  let last: JobDetails[] = [];
  try {
    return await waitFor(
      `jobs to end`,
      async () => {
        last = await Promise.all(ids.map(async (id) => (await storage.getJob(id))!));
        return last.every((j) => j.state === 'succeeded' || j.state === 'failed' || j.state === 'deleted') ? last : undefined;
      },
      timeoutMs,
    );
  } catch (e) {
    throw new Error(`${(e as Error).message}: ${last.map((j) => `${j.name} ${j.state}: ${reasons(j)}`).join('\n')}`);
  }
}

/** Whether no process has this id any more. */
function gone(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return false;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'ESRCH';
  }
}

const reasons = (job: JobDetails): string => job.history.map((h) => `${h.name}(${h.reason ?? ''})`).join(', ');

describe('isolated jobs', () => {
  it("a worker-thread job busy past its lease (2 s) is ended at its timeout (3 s) and retried, while a second server watches its lease", async () => {
    // The busy job's queue is served by one server with ONE worker thread: its retry can run
    // only if the first attempt's thread was terminated.
    const cpu = server({ queues: ['cpu'], poolSize: 1 });
    const watcher = server();
    await Promise.all([cpu.start(), watcher.start()]);
    try {
      const id = await client.enqueue(spinThenSucceed, null, { queue: 'cpu' });
      const neighbours = await client.enqueueMany(quick, [1, 2, 3]);
      const [job, ...others] = await settled([id, ...neighbours]);
      assert.equal(job!.state, 'succeeded', reasons(job!));
      assert.equal(job!.result, JSON.stringify('attempt 2 in thread'));
      const runs = job!.history.filter((h) => h.name === 'processing');
      assert.equal(runs.length, 2, `one run per attempt, none recovered by the watcher: ${reasons(job!)}`);
      const retry = job!.history.find((h) => h.name === 'scheduled' && /^Retry attempt 1 of 1/.test(h.reason ?? ''));
      assert.match(retry?.reason ?? "", /TimeoutError: the attempt ran past its timeout \(3000 ms\); its worker thread was ended/, reasons(job!));
      assert.ok(retry!.at - runs[0]!.at >= 3_000, 'ended no sooner than its timeout, past its lease');
      for (const o of others) assert.equal(o.state, 'succeeded');
    } finally {
      await Promise.all([cpu.dispose(), watcher.dispose()]);
    }
  });

  it('process.exit, an uncaught error and an exhausted heap each fail their attempt with their reason, in threads and processes; the server survives and the normal jobs finish', async () => {
    const logger = recordingLogger();
    const s = server({ logger });
    await s.start();
    try {
      const hostile = new Map<string, RegExp>();
      for (const [kind, jobs] of [['worker thread', inThreads], ['process', inProcesses]] as const) {
        hostile.set(await client.enqueue(jobs.exit, null), new RegExp(`IsolatedJobCrashError: The job's ${kind} died: it exited with code 3 \\(process.exit\\?\\)`));
        hostile.set(await client.enqueue(jobs.uncaught, null), new RegExp(`IsolatedJobCrashError: The job's ${kind} died: an uncaught TypeError: thrown from a timer`));
        hostile.set(await client.enqueue(jobs.oom, null), new RegExp(`IsolatedJobCrashError: The job's ${kind} died: it ran out of memory \\(isolation.memoryLimitMb 64\\)`));
      }
      const normal = [
        ...(await client.enqueueMany(inThreads.double, [1, 2])),
        ...(await client.enqueueMany(inProcesses.double, [3, 4])),
        ...(await client.enqueueMany(quick, [5, 6, 7])),
      ];
      const jobs = await settled([...hostile.keys(), ...normal]);
      for (const job of jobs.slice(0, hostile.size)) {
        const reason = hostile.get(job.id)!;
        assert.equal(job.state, 'failed', `${job.name}: ${reasons(job)}`);
        assert.match(job.history.at(-1)?.reason ?? '', reason, job.name);
        if (job.name.startsWith('iso-exit-')) {
          // Retried by its policy (once): the first attempt failed the same way.
          const retry = job.history.find((h) => h.name === 'scheduled');
          assert.match(retry?.reason ?? '', reason, `${job.name} retried: ${reasons(job)}`);
          assert.equal(job.attempt, 2);
        }
      }
      const results = jobs.slice(hostile.size).map((j) => (j.state === 'succeeded' ? JSON.parse(j.result!) : reasons(j)));
      assert.deepEqual(results.slice(0, 4).map((r: { doubled: number }) => r.doubled), [2, 4, 6, 8]);
      assert.deepEqual(results.slice(4), [6, 7, 8]);
      const pids = results.slice(0, 4).map((r: { pid: number }) => r.pid);
      assert.ok(pids.slice(0, 2).every((p) => p === process.pid), 'worker threads run in the server process');
      assert.ok(pids.slice(2).every((p) => p !== process.pid), 'child processes are other processes');
      const progress = (await storage.getJob(normal[0]!))!.parameters['progress'];
      assert.equal(progress, 50, 'progress reported in the thread is stored');
      for (const id of normal.slice(0, 4)) {
        assert.ok(logger.lines.some((l) => l.startsWith('doubling ') && l.includes(`"jobId":"${id}"`)), `the job's log line reached the server's logger, with its id`);
      }
      // Ordinary failures in a thread are recorded as on the server's own thread.
      const [thrownString, nonRetryable, bigint] = await Promise.all(
        (['string', 'non-retryable', 'bigint'] as const).map((how) => client.enqueue(failsInThread, how)),
      );
      const ended = await waitFor('the failing jobs to end their attempt', async () => {
        const jobs = await Promise.all([thrownString!, nonRetryable!, bigint!].map(async (id) => (await storage.getJob(id))!));
        return jobs.every((j) => j.state === 'scheduled' || j.state === 'failed') ? jobs : undefined;
      }, 120_000);
      assert.deepEqual(ended.map((j) => j.state), ['scheduled', 'failed', 'scheduled'], 'a NonRetryableError is not retried');
      assert.equal(ended[0]!.history.at(-1)?.reason, 'Retry attempt 1 of 1: Threw a non-Error string: a plain string');
      assert.equal(ended[1]!.history.at(-1)?.reason, 'NonRetryableError: no point in trying again');
      assert.match(ended[2]!.history.at(-1)?.reason ?? '', /^Retry attempt 1 of 1: ResultNotJson: The job's result cannot be stored: result\.total: a BigInt is not JSON/);
      // The server still runs jobs of every kind.
      const again = await client.enqueue(inProcesses.double, 21);
      const [last] = await settled([again]);
      assert.equal(JSON.parse(last!.result!).doubled, 42);
    } finally {
      await s.dispose();
    }
  });

  it('deleting a running isolated job kills its process, the server goes on, and its shutdown kills the next one past stopTimeout', async () => {
    const s = server();
    await s.start();
    try {
      const id = await client.enqueue(spinInProcess, null);
      // A child process under tsx on a loaded machine can take many seconds to start.
      const pid = await waitFor('the job to report its process', async () => ((await storage.getJob(id))?.parameters['progress'] as { pid?: number } | undefined)?.pid, 120_000);
      assert.notEqual(pid, process.pid);
      assert.equal(await client.delete(id), true);
      await waitFor('its process to be gone', () => gone(pid));
      const job = (await storage.getJob(id))!;
      assert.equal(job.state, 'deleted', reasons(job));
      const next = await client.enqueue(inProcesses.double, 5);
      const [done] = await settled([next]);
      assert.equal(JSON.parse(done!.result!).doubled, 10);

      // Shutdown: past stopTimeout (100 ms) the spinning job's process is killed, the job requeued.
      const last = await client.enqueue(spinInProcess, null);
      const lastPid = await waitFor('the next job to report its process', async () => ((await storage.getJob(last))?.parameters['progress'] as { pid?: number } | undefined)?.pid, 120_000);
      await s.dispose();
      assert.ok(gone(lastPid), 'the process is gone once dispose() resolves');
      const requeued = (await storage.getJob(last))!;
      assert.equal(requeued.state, 'enqueued', reasons(requeued));
      assert.equal(requeued.history.at(-1)?.reason, 'Server shutting down: interrupted and requeued');
      await client.delete(last);
    } finally {
      await s.dispose();
    }
  });

  it("a server killed with SIGKILL takes its isolated job's spinning process with it", async () => {
    const child = fork(join(import.meta.dirname, '../fixtures/isolated-server.ts'), [storage.path], {
      execArgv: process.execArgv,
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    try {
      await new Promise<void>((resolve) => child.once('message', () => resolve()));
      const id = await client.enqueue(spinInProcess, null);
      const pid = await waitFor('the job to report its process', async () => ((await storage.getJob(id))?.parameters['progress'] as { pid?: number } | undefined)?.pid, 120_000);
      child.kill('SIGKILL');
      await once(child, 'exit');
      await waitFor('the orphaned job process to be gone', () => gone(pid));
    } finally {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    }
  });
});
