import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { BackgroundJobServer, JobClient, SqliteStorage, defineJob, silentLogger } from '../../src/index.js';
import { startDashboard, type RunningDashboard } from '../../src/dashboard/index.js';
import { deferred, waitFor } from '../support/wait.js';
import { launchChromium, tempDir, withoutChromium } from './helpers.js';

const SHOTS = resolve('test-results/dashboard');

const quick = defineJob({ name: 'details-quick', run: (n: number) => n + 1 });
const failing = defineJob({
  name: 'details-failing',
  retry: { attempts: 0 },
  run: (to: string) => {
    throw new TypeError(`mailbox ${to} is full`);
  },
});
const hold = deferred();
const long = defineJob({
  name: 'details-long',
  queue: 'reports',
  run: async (_: null, ctx) => {
    ctx.progress(37.4);
    await Promise.race([hold.promise, new Promise((r) => ctx.signal.addEventListener('abort', r))]);
  },
});

describe('dashboard details people read', { skip: withoutChromium }, () => {
  const tmp = tempDir();
  const storage = new SqliteStorage(join(tmp.dir, 'kiln.db'));
  const client = new JobClient({ storage, logger: silentLogger });
  let server: BackgroundJobServer;
  let dashboard: RunningDashboard;
  let browser: Browser;
  let page: Page;
  const ids = {} as Record<'quick' | 'failed' | 'long', string>;
  const go = async (path: string, status = 200) => {
    const res = await page.goto(dashboard.url + path.replace(/^\//, ''));
    assert.equal(res?.status(), status, path);
  };
  const text = async (selector: string) => (await page.locator(selector).first().textContent()) ?? '';

  before(async () => {
    server = new BackgroundJobServer({
      storage,
      jobs: [quick, failing, long],
      // `idle` is served and never gets a job: it must still be listed.
      queues: ['default', 'reports', 'idle'],
      name: 'worker-7.example:4242',
      pollInterval: 20,
      heartbeatInterval: 100,
      logger: silentLogger,
    });
    await server.start();
    ids.quick = await client.enqueue(quick, 1);
    ids.failed = await client.enqueue(failing, 'ops@example.com');
    ids.long = await client.enqueue(long, null);
    await waitFor('jobs to settle', async () => {
      const [q, f, l] = await Promise.all([ids.quick, ids.failed, ids.long].map((id) => storage.getJob(id)));
      return q?.state === 'succeeded' && f?.state === 'failed' && l?.state === 'processing' && l.parameters['progress'] === 37.4;
    });
    dashboard = await startDashboard({ client, port: 0, logger: silentLogger });
    browser = await launchChromium();
    page = await browser.newPage();
  });

  after(async () => {
    hold.resolve();
    await browser?.close();
    await dashboard?.close();
    await server?.dispose();
    await storage.close();
    tmp.remove();
  });

  it('gives durations a unit, shows progress as a bar, and names servers as the logs do', async () => {
    await go(`/job/${ids.quick}`);
    const duration = await page.locator('.history .entry.st-succeeded dt', { hasText: 'duration' }).locator('xpath=following-sibling::dd[1]').textContent();
    assert.match(duration ?? '', /^\d+(\.\d)? (ms|s)$/, `a unit on the duration, got ${duration}`);
    await go('/jobs/succeeded');
    assert.match(await text('table.jobs td[data-label=Duration]'), /^\d+(\.\d)? (ms|s)$/);

    await go('/jobs/processing');
    mkdirSync(SHOTS, { recursive: true });
    await page.screenshot({ path: join(SHOTS, 'processing.png') });
    const bar = page.locator('table.jobs td[data-label=Progress] progress');
    assert.equal(await bar.getAttribute('value'), '37');
    assert.equal(await bar.getAttribute('max'), '100');
    assert.match(await text('table.jobs td[data-label=Progress]'), /37%/);
    assert.equal((await text('table.jobs td[data-label=Server]')).trim(), 'worker-7.example:4242');
    assert.equal(await page.locator('table.jobs td[data-label=Server] span').first().getAttribute('title'), `Server ${server.id}`);
    await go(`/job/${ids.long}`);
    assert.equal(await page.locator('dl.facts progress').getAttribute('value'), '37');
    assert.match(await text('dl.facts'), /Server\s*worker-7\.example:4242/);
    assert.ok((await text('.history .entry.st-processing dl.kv')).includes('worker-7.example:4242'));
    assert.ok(!(await text('main')).includes(server.id), 'no raw server id in the text');
  });

  it("says a failure's message once: type, message, then the stack below it", async () => {
    await go(`/job/${ids.failed}`);
    const entry = page.locator('.history .entry.st-failed').first();
    const all = (await entry.textContent()) ?? '';
    assert.equal(all.split('mailbox ops@example.com is full').length - 1, 1, `the message appears once in: ${all}`);
    assert.equal(await entry.locator('.error-type').textContent(), 'TypeError');
    assert.match((await entry.locator('pre.stack').textContent()) ?? '', /^\s*at /);
  });

  it('words things right: Retries, Enqueued after Enqueue now', async () => {
    await go('/retries');
    assert.equal(await text('h1'), 'Retries');
    assert.equal(await text('.empty'), 'No job is waiting for a retry.');
    const later = await client.schedule(quick, 2, { delay: '1h' });
    await go('/jobs/scheduled');
    await page.check(`input[name=ids][value="${later}"]`);
    await Promise.all([page.waitForURL(/done=enqueue/), page.click('button[value=requeue]')]);
    assert.equal(await text('.flash'), 'Enqueued 1 job.');
  });

  it('lists queues that servers serve while they are empty', async () => {
    await go('/queues');
    const rows = await page.locator('table.queues tbody tr').allTextContents();
    const idle = rows.find((r) => /\bidle\b/.test(r));
    assert.ok(idle, `the idle queue is listed: ${rows.join(' | ')}`);
    assert.match(idle, /idle\s*0\s*0/);
    assert.ok(rows.some((r) => /reports\s*0\s*1/.test(r)), 'a queue with a processing job');
    await go('/');
    assert.ok((await page.locator('table.queues').textContent())?.includes('idle'));
    await go('/jobs/enqueued');
    assert.ok((await page.locator('select[name=queue] option').allTextContents()).includes('idle'));
  });

  it('answers an unknown address with a 404 page in the dashboard frame', async () => {
    for (const path of ['/no/such/page', '/jobs/sideways']) {
      await go(path, 404);
      assert.equal(await text('h1'), 'Page not found');
      assert.equal(await page.locator('header.top nav.main-nav a').count(), 5, 'the navigation is there');
      assert.equal(await page.locator('link[rel=stylesheet]').count(), 1, 'styled');
      assert.ok((await text('main')).includes(path));
    }
  });
});
