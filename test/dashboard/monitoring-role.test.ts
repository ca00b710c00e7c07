import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { JobClient, MemoryStorage, ValidationError, defineJob, silentLogger, type MonitoringApi } from '../../src/index.js';
import { createDashboard } from '../../src/dashboard/index.js';
import { listen, session } from './helpers.js';

const job = defineJob({ name: 'dash-monitoring-role', run: (_: { n: number }) => {} });

/** Only the monitoring role of a storage: what a read-only replica or a reporting tool would offer. */
function readsOf(storage: MemoryStorage): MonitoringApi {
  return {
    statistics: () => storage.statistics(),
    queues: () => storage.queues(),
    queueHeads: () => storage.queueHeads(),
    queueSettings: () => storage.queueSettings(),
    limitUsage: (q) => storage.limitUsage(q),
    listJobs: (q) => storage.listJobs(q),
    getJob: (id) => storage.getJob(id),
    jobLogs: (id, q) => storage.jobLogs(id, q),
    listServers: () => storage.listServers(),
    getRecurring: (id) => storage.getRecurring(id),
    listRecurring: () => storage.listRecurring(),
    timeline: (unit, from, to) => storage.timeline(unit, from, to),
  };
}

describe('the dashboard over the monitoring role', () => {
  it('reads its pages from a MonitoringApi and acts through the client it is given', async () => {
    const storage = new MemoryStorage();
    const client = new JobClient({ storage, logger: silentLogger });
    const id = await client.enqueue(job, { n: 1 });
    const dashboard = createDashboard({ storage: readsOf(storage), client, logger: silentLogger });
    const served = await listen((req, res) => void dashboard.nodeHandler(req, res));
    try {
      const page = await fetch(`${served.url}/jobs/enqueued`);
      assert.equal(page.status, 200);
      assert.ok((await page.text()).includes(id), 'the enqueued job is listed');
      const details = await fetch(`${served.url}/job/${id}`);
      assert.equal(details.status, 200);

      const { cookie, token } = await session(`${served.url}/jobs/enqueued`);
      const body = new URLSearchParams({ _csrf: token, op: 'delete', from: 'enqueued', ids: id, back: '/jobs/enqueued' });
      const headers = { cookie, origin: served.url, 'content-type': 'application/x-www-form-urlencoded' };
      const posted = await fetch(`${served.url}/actions/jobs`, { method: 'POST', body, headers, redirect: 'manual' });
      assert.equal(posted.status, 303);
      assert.equal((await storage.getJob(id))?.state, 'deleted', 'the action went through the client');
    } finally {
      await served.close();
    }
  });

  it('refuses a MonitoringApi without a client: the actions would have nothing to write through', () => {
    const storage = new MemoryStorage();
    assert.throws(
      () => createDashboard({ storage: readsOf(storage), logger: silentLogger }),
      (e: unknown) => e instanceof ValidationError && e.field === 'client',
    );
    // A whole Storage still needs no client: one is made over it.
    assert.equal(createDashboard({ storage, logger: silentLogger }).client.storage, storage);
  });
});
