import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { BackgroundJobServer, JobClient, MemoryStorage, defineJob, silentLogger } from '../../src/index.js';
import type { FetchOptions, JobRecord } from '../../src/storage/contract/index.js';
import { waitFor } from '../support/wait.js';

/** A memory storage that records how many jobs each fetch asked for. */
class RecordingStorage extends MemoryStorage {
  readonly asked: number[] = [];
  override async fetch(o: FetchOptions): Promise<JobRecord[]> {
    this.asked.push(o.max);
    return super.fetch(o);
  }
}

/** Runs `count` no-op jobs on one server with these options; returns what each fetch asked for. */
async function drainQuickJobs(name: string, count: number, options: { workerCount: number; prefetch?: number }): Promise<number[]> {
  const storage = new RecordingStorage();
  const client = new JobClient({ storage, logger: silentLogger });
  let done = 0;
  const quick = defineJob({ name, run: () => void done++ });
  await client.enqueueMany(quick, Array.from({ length: count }, () => undefined));
  const server = new BackgroundJobServer({ storage, jobs: [quick], ...options, logger: silentLogger, pollInterval: 20 });
  await server.start();
  await waitFor(`all ${count} ran`, () => done === count);
  await server.dispose();
  assert.equal((await storage.statistics()).states.succeeded, count);
  return storage.asked;
}

describe('adaptive prefetch', () => {
  it('grows the claims while fast jobs leave the slots waiting on round trips, up to 16 × workerCount', async () => {
    const asked = await drainQuickJobs('prefetch-quick', 600, { workerCount: 4 });
    const largest = Math.max(...asked);
    // Default prefetch = workerCount: claims start at 4 + 4 = 8 and may grow to 4 + 64 = 68.
    assert.equal(asked[0], 8, 'the first claim is workerCount + prefetch');
    assert.ok(largest > 8, `claims grew past workerCount + prefetch (largest ${largest})`);
    assert.ok(largest <= 68, `claims stayed within workerCount + 16 × workerCount (largest ${largest})`);
  });

  it('never grows for slow jobs: the slots stay busy and the local queue filled', async () => {
    const storage = new RecordingStorage();
    const client = new JobClient({ storage, logger: silentLogger });
    const releases: Array<() => void> = [];
    let finished = 0;
    const slow = defineJob({
      name: 'prefetch-slow',
      run: () =>
        new Promise<void>((resolve) =>
          releases.push(() => {
            finished++;
            resolve();
          }),
        ),
    });
    await client.enqueueMany(slow, Array.from({ length: 30 }, () => undefined));
    const server = new BackgroundJobServer({ storage, jobs: [slow], workerCount: 2, logger: silentLogger, pollInterval: 20 });
    await server.start();
    // Finish the jobs one at a time, each once the next one has started: a slow, steady stream.
    for (let n = 1; n <= 30; n++) {
      await waitFor(`job ${n} started`, () => releases.length >= n);
      releases[n - 1]!();
    }
    await waitFor('all 30 finished', () => finished === 30);
    await server.dispose();
    assert.ok(Math.max(...storage.asked) <= 4, `claims stayed within workerCount + prefetch = 4 (asked ${storage.asked.join(', ')})`);
  });

  it('keeps a prefetch given in the options fixed', async () => {
    const asked = await drainQuickJobs('prefetch-fixed', 300, { workerCount: 4, prefetch: 3 });
    assert.ok(asked.length > 300 / 7 - 1, 'it claimed in many small batches');
    assert.ok(Math.max(...asked) <= 7, `claims stayed within workerCount + prefetch = 7 (largest ${Math.max(...asked)})`);
  });
});
