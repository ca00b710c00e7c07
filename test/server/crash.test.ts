import assert from 'node:assert/strict';
import { fork } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { BackgroundJobServer, JobClient, SqliteStorage, defineJob, silentLogger } from '../../src/index.js';
import { waitFor } from '../support/wait.js';

describe('crash recovery', () => {
  it('a server killed with SIGKILL while holding jobs loses none: a second server completes every job', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kiln-crash-'));
    const file = join(dir, 'kiln.db');
    const storage = new SqliteStorage(file);
    try {
      const client = new JobClient({ storage, logger: silentLogger });
      const work = defineJob({ name: 'crash-work', run: async (n: number) => { await sleep(5); return n; } });
      const ids = await client.enqueueMany(work, Array.from({ length: 200 }, (_, i) => i));

      const child = fork(join(import.meta.dirname, '../fixtures/crash-server.ts'), [file], {
        execArgv: ['--import', 'tsx'],
        stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      });
      const exited = new Promise<NodeJS.Signals | null>((resolve) => child.on('exit', (_code, signal) => resolve(signal)));
      // Kill it while it holds jobs and has finished some.
      await waitFor('the child to hold jobs', async () => {
        const s = await storage.statistics();
        return s.states.processing > 0 && s.states.succeeded >= 10;
      });
      child.kill('SIGKILL');
      assert.equal(await exited, 'SIGKILL');
      // What the dead process held, read once it is dead: a job it finished between a read before
      // the kill and the kill itself would otherwise be counted as held.
      const held = (await storage.listJobs({ state: 'processing', offset: 0, limit: 1_000 })).jobs.map((j) => j.id);
      assert.ok(held.length > 0);

      const rescuer = new BackgroundJobServer({
        storage,
        jobs: [work],
        workerCount: 10,
        pollInterval: 20,
        serverCheckInterval: 100,
        serverTimeout: 1_500,
        heartbeatInterval: 200,
        logger: silentLogger,
      });
      await rescuer.start();
      await waitFor('every job to succeed', async () => (await storage.statistics()).states.succeeded === ids.length, 60_000);
      await rescuer.dispose();

      const stats = await storage.statistics();
      assert.equal(stats.states.succeeded, 200);
      assert.equal(stats.states.processing + stats.states.enqueued + stats.states.failed, 0, 'none lost');
      for (const id of held) {
        const j = await storage.getJob(id);
        const runs = j!.history.filter((h) => h.name === 'processing');
        assert.ok(runs.length >= 2, `job ${id} ran again after the crash (history: ${j!.history.map((h) => h.name).join(',')})`);
        assert.ok(j!.history.some((h) => h.name === 'enqueued' && /lease|server|timed out|expired/i.test(h.reason ?? '')), 'the recovery is in the history');
        assert.equal(j!.state, 'succeeded');
      }
    } finally {
      await storage.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
