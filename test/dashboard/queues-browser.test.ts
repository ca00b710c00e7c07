import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { BackgroundJobServer, JobClient, SqliteStorage, defineJob, silentLogger } from '../../src/index.js';
import { startDashboard, type RunningDashboard } from '../../src/dashboard/index.js';
import { deferred, waitFor } from '../support/wait.js';
import { launchChromium, tempDir, watchPage, withoutChromium } from './helpers.js';

const SHOTS = resolve('test-results/dashboard');

describe('dashboard: the Queues page and limits, in a browser', { skip: withoutChromium }, () => {
  const tmp = tempDir();
  const storage = new SqliteStorage(join(tmp.dir, 'kiln.db'));
  const client = new JobClient({ storage, logger: silentLogger });
  const gate = deferred();
  const exportJob = defineJob({
    name: 'dash-export',
    concurrency: { limit: 2, key: (a: { tenant: string }) => a.tenant },
    run: () => gate.promise,
  });
  const mail = defineJob({ name: 'dash-mail', queue: 'mail', run: () => {} });
  let server: BackgroundJobServer;
  let dashboard: RunningDashboard;
  let browser: Browser;
  let page: Page;
  const problems: string[] = [];
  let waitingId = '';

  const go = async (path: string) => {
    const res = await page.goto(dashboard.url + path.replace(/^\//, ''));
    assert.equal(res?.status(), 200, path);
  };
  const row = (queue: string) => page.locator(`tr[data-queue="${queue}"]`);

  before(async () => {
    mkdirSync(SHOTS, { recursive: true });
    server = new BackgroundJobServer({ storage, jobs: [exportJob, mail], queues: ['default', 'mail'], pollInterval: 20, logger: silentLogger });
    await server.start();
    await client.queues.setLimits('mail', { concurrency: 3, rate: { max: 100, per: '1m' } });
    const ids = await client.enqueueMany(exportJob, Array.from({ length: 5 }, () => ({ tenant: 'tenant-42' })));
    waitingId = ids[4]!;
    await client.enqueue(exportJob, { tenant: 'tenant-7' }, { priority: 9 });
    await waitFor('three exports running', async () => (await storage.statistics()).states.processing === 3);
    dashboard = await startDashboard({ client, port: 0, logger: silentLogger });
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    watchPage(page, problems);
  });

  after(async () => {
    gate.resolve();
    await browser?.close();
    await dashboard?.close();
    await server?.dispose();
    await storage.close();
    tmp.remove();
  });

  it('shows each limit with its use, pauses and resumes a queue with its buttons, and every server obeys', async () => {
    await go('/queues');
    assert.match((await row('mail').textContent()) ?? '', /0 \/ 3 running, 0 waiting/);
    assert.match((await row('mail').textContent()) ?? '', /0 \/ 100 started per 1 min, 0 waiting/);
    const tenant = page.locator('tr[data-limit-key="dash-export:tenant-42"]');
    assert.match((await tenant.textContent()) ?? '', /2 \/ 2 running, 3 waiting/);
    assert.equal(await tenant.getAttribute('class'), 'full');
    await page.screenshot({ path: join(SHOTS, 'queues.png'), fullPage: true });

    await Promise.all([page.waitForURL(/done=pause-queue/), row('mail').locator('button[value=pause]').click()]);
    assert.match((await page.locator('.flash').textContent()) ?? '', /Paused 1 queue/);
    assert.equal(await row('mail').locator('.badge.paused').count(), 1);
    assert.deepEqual(
      (await client.queues.list()).filter((q) => q.paused).map((q) => q.name),
      ['mail'],
    );
    const held = await client.enqueue(mail, undefined);
    await page.reload();
    assert.match((await row('mail').textContent()) ?? '', /0 \/ 3 running, 1 waiting/);
    await page.screenshot({ path: join(SHOTS, 'queues-paused.png'), fullPage: true });

    await Promise.all([page.waitForURL(/done=resume-queue/), row('mail').locator('button[value=resume]').click()]);
    assert.match((await page.locator('.flash').textContent()) ?? '', /Resumed 1 queue/);
    assert.equal(await row('mail').locator('.badge.paused').count(), 0);
    await waitFor('the held job to run once resumed', async () => (await client.get(held))?.state === 'succeeded');
    assert.deepEqual(problems, [], 'no script error or unexpected dialog');
  });

  it('refuses a queue action without the anti-forgery token', async () => {
    const body = new URLSearchParams({ op: 'pause', queue: 'default', back: '/queues' });
    const res = await fetch(`${dashboard.url}actions/queues`, { method: 'POST', body, redirect: 'manual' });
    assert.equal(res.status, 403);
    assert.deepEqual(
      (await client.queues.list()).filter((q) => q.paused),
      [],
    );
  });

  it("shows a job's priority in lists and, on its page, the limit it waits for", async () => {
    await go('/jobs/enqueued');
    const header = await page.locator('table.jobs thead').textContent();
    assert.match(header ?? '', /Priority/);
    await go(`/job/${waitingId}`);
    const waiting = (await page.locator('[data-waiting]').textContent()) ?? '';
    assert.match(waiting, /Waiting for its turn/);
    assert.match(waiting, /its concurrency limit dash-export:tenant-42 is full: 2 \/ 2 running, 3 waiting/);
    assert.match((await page.locator('.facts').textContent()) ?? '', /at most 2 at once/);
    await page.screenshot({ path: join(SHOTS, 'job-waiting-for-limit.png'), fullPage: true });
  });
});
