import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { BackgroundJobServer, JobClient, defineJob, silentLogger } from '../../src/index.js';
import { startDashboard } from '../../src/dashboard/index.js';
import { storageTargets } from '../fixtures/storage-targets.js';
import { waitFor } from '../support/wait.js';
import { session } from './helpers.js';

const fine = defineJob({ name: 'dash-st-fine', run: (args: { n: number }) => args.n });
const bad = defineJob({
  name: 'dash-st-bad',
  retry: { attempts: 0 },
  run: (_: { n: number }) => {
    throw new Error('bad <b>input</b>');
  },
});

const targets = storageTargets();

/** The dashboard reads only the monitoring part of the contract: every page works on every backend. */
for (const target of targets) {
  describe(`dashboard over ${target.name}`, () => {
    it('renders every page with the stored jobs and acts through the client', async () => {
      const { storage, destroy } = await target.open();
      const client = new JobClient({ storage, logger: silentLogger });
      const server = new BackgroundJobServer({ storage, jobs: [fine, bad], pollInterval: 20, heartbeatInterval: 100, logger: silentLogger });
      const running = await startDashboard({ client, port: 0, logger: silentLogger });
      try {
        await server.start();
        const succeeded = await client.enqueue(fine, { n: 1 });
        const failed = await client.enqueue(bad, { n: 2 });
        const scheduled = await client.schedule(fine, { n: 3 }, { delay: '1h' });
        const awaiting = await client.continueWith(scheduled, fine, { n: 4 });
        const enqueued = await client.enqueue(fine, { n: 5 }, { queue: 'elsewhere' });
        await client.recurring.addOrUpdate('dash-st-daily', fine, { n: 6 }, { cron: '0 4 * * *' });
        await waitFor('jobs to run', async () => (await client.get(succeeded))?.state === 'succeeded' && (await client.get(failed))?.state === 'failed');
        const pages: Array<[string, string[]]> = [
          ['', ['Overview']],
          ['jobs/enqueued', [enqueued, 'elsewhere']],
          ['jobs/scheduled', [scheduled]],
          ['jobs/awaiting', [awaiting]],
          ['jobs/succeeded', [succeeded]],
          ['jobs/failed', [failed, 'bad &lt;b&gt;input&lt;/b&gt;']],
          ['jobs/processing', ['No processing jobs']],
          ['jobs/deleted', ['No deleted jobs']],
          [`jobs/failed?search=${failed.slice(0, 20)}`, [failed]],
          ['retries', ['<h1>Retries</h1>', 'No job is waiting for a retry.']],
          [`job/${failed}`, ['bad &lt;b&gt;input&lt;/b&gt;', '<span class="error-type">Error</span>']],
          [`job/${scheduled}`, [awaiting]],
          ['recurring', ['dash-st-daily', '0 4 * * *']],
          ['servers', [server.id]],
          ['queues', ['elsewhere']],
        ];
        for (const [path, needles] of pages) {
          const res = await fetch(running.url + path);
          const html = await res.text();
          assert.equal(res.status, 200, path);
          for (const n of needles) assert.ok(html.includes(n), `${target.name} /${path} shows ${n}`);
        }
        const stats = (await (await fetch(`${running.url}api/stats`)).json()) as { states: Record<string, number>; succeededTotal: number };
        assert.equal(stats.states['failed'], 1);
        assert.ok(stats.succeededTotal >= 1);
        const history = (await (await fetch(`${running.url}api/history`)).json()) as { hours: Array<{ succeeded: number }>; days: unknown[] };
        assert.equal(history.hours.length, 24);
        assert.equal(history.days.length, 7);
        assert.ok(history.hours.some((h) => h.succeeded >= 1));
        const s = await session(`${running.url}jobs/failed`);
        const res = await fetch(`${running.url}actions/jobs`, {
          method: 'POST',
          redirect: 'manual',
          headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: s.cookie, origin: new URL(running.url).origin },
          body: new URLSearchParams({ _csrf: s.token, op: 'delete', from: 'failed', ids: failed, back: '/jobs/failed' }),
        });
        assert.equal(res.headers.get('location'), '/jobs/failed?done=delete&n=1&of=1');
        assert.equal((await client.get(failed))?.state, 'deleted');
      } finally {
        await running.close();
        await server.dispose();
        await destroy();
      }
    });
  });
}
