import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { BackgroundJobServer, JobClient, SqliteStorage, defineJob, silentLogger } from '../../src/index.js';
import { startDashboard, type RunningDashboard } from '../../src/dashboard/index.js';
import { waitFor } from '../support/wait.js';
import { launchChromium, tempDir, watchPage, withoutChromium } from './helpers.js';

const SHOTS = resolve('test-results/dashboard');

const ok = defineJob({ name: 'dash-ok', run: (args: { n: number }) => ({ doubled: args.n * 2 }) });
const boom = defineJob({
  name: 'dash-boom',
  retry: { attempts: 0 },
  run: (args: { to: string }) => {
    throw new Error(`SMTP refused for ${args.to}`);
  },
});
const XSS_ARGS = {
  script: '<script>window.__kilnXss = 1</script>',
  img: '<img src=x onerror="window.__kilnXss = 2">',
  attr: '" onmouseover="window.__kilnXss = 4" x="',
};
const XSS_ERROR = '<img src=x onerror="window.__kilnXss = 3">';
const xss = defineJob({
  name: 'dash-xss',
  retry: { attempts: 0 },
  run: (_: typeof XSS_ARGS) => {
    throw new Error(XSS_ERROR);
  },
});
const flaky = defineJob({
  name: 'dash-flaky',
  retry: { attempts: 5, delays: ['1h'] },
  run: (_: { url: string }) => {
    throw new Error('upstream timeout');
  },
});
const slow = defineJob({
  name: 'dash-slow',
  queue: 'mail',
  run: (_: { n: number }, ctx) => {
    ctx.progress(42);
    return new Promise<void>((r) => ctx.signal.addEventListener('abort', () => r()));
  },
});

describe('dashboard in a browser', { skip: withoutChromium }, () => {
  const tmp = tempDir();
  const storage = new SqliteStorage(join(tmp.dir, 'kiln.db'));
  const client = new JobClient({ storage, logger: silentLogger });
  let server: BackgroundJobServer;
  let dashboard: RunningDashboard;
  let browser: Browser;
  let page: Page;
  const problems: string[] = [];
  const ids = {} as Record<'failed1' | 'failed2' | 'xss' | 'retry' | 'processing' | 'scheduled' | 'awaiting' | 'enqueued1' | 'enqueued2', string>;

  const go = async (path: string) => {
    const res = await page.goto(dashboard.url + path.replace(/^\//, ''));
    assert.equal(res?.status(), 200, path);
  };
  const text = async (selector: string) => (await page.locator(selector).first().textContent()) ?? '';
  const shot = (name: string) => page.screenshot({ path: join(SHOTS, name), fullPage: true });
  const state = async (id: string) => (await client.get(id))?.state;

  before(async () => {
    mkdirSync(SHOTS, { recursive: true });
    server = new BackgroundJobServer({
      storage,
      jobs: [ok, boom, xss, flaky, slow],
      queues: ['default', 'mail'],
      workerCount: 5,
      pollInterval: 20,
      schedulePollingInterval: 50,
      heartbeatInterval: 100,
      serverCheckInterval: 100,
      name: 'dashboard-test-server',
      logger: silentLogger,
    });
    await server.start();
    for (let n = 1; n <= 3; n++) await client.enqueue(ok, { n });
    ids.failed1 = await client.enqueue(boom, { to: 'a@example.com' });
    ids.failed2 = await client.enqueue(boom, { to: 'b@example.com' });
    ids.xss = await client.enqueue(xss, XSS_ARGS);
    ids.retry = await client.enqueue(flaky, { url: 'https://api.example.com' });
    ids.processing = await client.enqueue(slow, { n: 1 });
    ids.enqueued1 = await client.enqueue(ok, { n: 10 }, { queue: 'reports' }); // no server serves it
    ids.enqueued2 = await client.enqueue(ok, { n: 11 }, { queue: 'reports' });
    // 80 min ahead: still 'in 1 h' however long the test takes under load (it rounds to hours past 59.5 min).
    ids.scheduled = await client.schedule(ok, { n: 20 }, { delay: '80m' });
    ids.awaiting = await client.continueWith(ids.scheduled, ok, { n: 21 });
    await client.recurring.addOrUpdate('nightly-report', ok, { n: 7 }, { cron: '0 3 * * *', timeZone: 'Europe/Paris' });
    await client.recurring.addOrUpdate('every-5-minutes', ok, { n: 8 }, { cron: '*/5 * * * *' });
    await waitFor('jobs to settle', async () => {
      const s = await storage.statistics();
      const progress = (await storage.getJob(ids.processing))?.parameters['progress'];
      return s.states.succeeded >= 3 && s.states.failed >= 3 && s.states.processing === 1 && progress === 42 && (await state(ids.retry)) === 'scheduled';
    });
    dashboard = await startDashboard({ client, port: 0, logger: silentLogger });
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    // Delete buttons ask first: accepted; any other dialog counts as a problem.
    watchPage(page, problems);
    console.log(`# dashboard screenshots are saved in ${SHOTS}`);
  });

  after(async () => {
    await browser?.close();
    await dashboard?.close();
    await server?.dispose();
    await storage.close();
    tmp.remove();
  });

  it('shows the overview with counters, the realtime chart polling every 2 s and the history chart', async () => {
    await go('/');
    assert.equal(await text('[data-stat=failed]'), '3');
    assert.equal(await text('[data-stat=processing]'), '1');
    assert.equal(await text('[data-stat=servers]'), '1');
    // The realtime chart needs two polls (one delta); the history chart its data.
    await page.waitForSelector('[data-overview][data-polls="2"]', { timeout: 10_000 });
    await page.waitForSelector('[data-overview][data-history-range="hour"]');
    const drawn = await page.evaluate(() => {
      const w = window as unknown as { Chart?: { getChart(id: string): { data: { labels: unknown[] } } | undefined } };
      return { realtime: w.Chart?.getChart('realtime-chart')?.data.labels.length, history: w.Chart?.getChart('history-chart')?.data.labels.length };
    });
    assert.ok((drawn.realtime ?? 0) >= 1, 'realtime chart has a point');
    assert.equal(drawn.history, 24, 'one point per hour of the last day');
    await page.click('button[data-history=day]');
    await page.waitForSelector('[data-overview][data-history-range="day"]');
    assert.equal(await page.evaluate(() => (window as unknown as { Chart: { getChart(id: string): { data: { labels: unknown[] } } } }).Chart.getChart('history-chart').data.labels.length), 7);
    await page.click('button[data-history=hour]');
    await shot('overview.png');
    await page.emulateMedia({ colorScheme: 'dark' });
    await shot('overview-dark.png');
    await page.emulateMedia({ colorScheme: 'light' });
    await page.click('[data-theme-toggle]');
    assert.equal(await page.getAttribute('html', 'data-theme'), 'light');
    await page.click('[data-theme-toggle]');
    assert.equal(await page.getAttribute('html', 'data-theme'), 'dark');
    await page.click('[data-theme-toggle]');
    assert.equal(await page.getAttribute('html', 'data-theme'), null);
    assert.deepEqual(problems, [], 'no CSP violation, script error or unexpected dialog');
  });

  it('lists the jobs of every state, with search and paging', async () => {
    const expectRows = async (path: string, needles: string[]) => {
      await go(path);
      const body = await text('table');
      for (const n of needles) assert.ok(body.includes(n), `${path} shows ${n}`);
    };
    await expectRows('/jobs/enqueued', ['dash-ok', 'reports', ids.enqueued1]);
    await expectRows('/jobs/scheduled', [ids.scheduled, 'in 1 h']);
    await expectRows('/jobs/processing', ['dash-slow', ids.processing, 'dashboard-test-server', '42%']);
    await expectRows('/jobs/succeeded', ['dash-ok', '{"doubled":2}']);
    await expectRows('/jobs/failed', ['SMTP refused for a@example.com', 'dash-xss']);
    await shot('failed-list.png');
    await expectRows('/jobs/awaiting', [ids.awaiting, ids.scheduled]);
    await expectRows('/retries', ['dash-flaky', 'upstream timeout', ids.retry]);
    await go('/jobs/deleted');
    assert.match(await text('.empty'), /No deleted jobs/);
    // Side menu counts come from statistics.
    assert.match(await text('nav.side a.st-failed'), /Failed\s*3/);
    // Search by name substring and by id prefix.
    await go('/jobs/failed');
    await page.fill('input[name=search]', 'xss');
    await Promise.all([page.waitForURL(/search=xss/), page.click('form.filters button[type=submit]')]);
    assert.equal(await page.locator('table.jobs tbody tr').count(), 1);
    await go(`/jobs/failed?search=${ids.failed1}`);
    assert.equal(await page.locator('table.jobs tbody tr').count(), 1);
    // Exact name filter from a job name link.
    await go('/jobs/failed');
    await Promise.all([page.waitForURL(/name=dash-boom/), page.locator('a.job-name', { hasText: 'dash-boom' }).first().click()]);
    assert.equal(await page.locator('table.jobs tbody tr').count(), 2);
    // Paging.
    await go('/jobs/failed?size=1');
    assert.equal(await page.locator('table.jobs tbody tr').count(), 1);
    assert.match(await text('.pager .total'), /3 in all/);
    await Promise.all([page.waitForURL(/page=2/), page.click('.pager a[rel=next]')]);
    assert.equal(await text('.pager .current'), '2');
    await page.setViewportSize({ width: 390, height: 844 });
    await go('/jobs/failed');
    await shot('failed-narrow.png');
    await page.setViewportSize({ width: 1280, height: 900 });
    await go('/servers');
    assert.ok((await text('table')).includes('dashboard-test-server'));
    await go('/queues');
    assert.ok((await text('table')).includes('reports'));
  });

  it("shows a failed job's details: args, parameters, history with the exception and its stack", async () => {
    await go(`/job/${ids.failed1}`);
    assert.match(await text('h1'), /dash-boom\s+failed/);
    assert.match(await text('pre.args'), /"to": "a@example.com"/);
    const history = await text('ol.history');
    assert.match(history, /failed[\s\S]*processing[\s\S]*enqueued/, 'newest first');
    assert.match(await text('.history .exception p'), /SMTP refused for a@example.com/);
    assert.match(await text('.history .stack'), /^\s*at /, 'the stack, below the message it would repeat');
    await shot('failed-job.png');
    await go(`/job/${ids.retry}`);
    assert.match(await text('dl.kv'), /retryCount\s*1/);
    await go(`/job/${ids.scheduled}`);
    assert.ok((await text('ul.plain')).includes(ids.awaiting), 'continuations');
    await go(`/job/${ids.awaiting}`);
    assert.ok((await text('dl.facts')).includes(ids.scheduled), 'parent');
    const missing = await page.goto(`${dashboard.url}job/nope`);
    assert.equal(missing?.status(), 404);
    problems.length = 0; // the browser logs the 404
  });

  it('renders attacker-controlled args and exception messages inert', async () => {
    for (const path of [`/job/${ids.xss}`, '/jobs/failed', '/jobs/failed?search=%3Cscript%3E']) {
      await go(path);
      assert.equal(await page.evaluate(() => (window as unknown as { __kilnXss?: number }).__kilnXss), undefined, path);
      assert.equal(await page.locator('img').count(), 0, `${path}: no injected element`);
    }
    await go(`/job/${ids.xss}`);
    await page.hover('pre.args');
    const args = await text('pre.args');
    for (const v of Object.values(XSS_ARGS)) assert.ok(args.includes(JSON.stringify(v).slice(1, -1)), `shown as text: ${v}`);
    assert.equal(await text('.history .exception p'), XSS_ERROR);
    assert.equal(await page.evaluate(() => (window as unknown as { __kilnXss?: number }).__kilnXss), undefined);
    assert.deepEqual(problems, []);
  });

  it('refuses an action posted without the token, even from the page itself', async () => {
    await go('/jobs/failed');
    const status = await page.evaluate(async (id) => {
      const res = await fetch('/actions/jobs', { method: 'POST', body: new URLSearchParams({ op: 'delete', from: 'failed', ids: id }) });
      return res.status;
    }, ids.failed1);
    assert.equal(status, 403);
    assert.equal(await state(ids.failed1), 'failed');
    problems.length = 0; // the browser logs the refused fetch
  });

  it('requeues, deletes and enqueues now by clicking, one job or the selected ones', async () => {
    // Requeue one failed job from the list.
    await go('/jobs/failed');
    await page.check(`input[name=ids][value="${ids.failed1}"]`);
    assert.equal(await text('[data-selection-count]'), '1 selected');
    await Promise.all([page.waitForURL(/done=requeue/), page.click('button[value=requeue]')]);
    assert.equal(await text('.flash'), 'Requeued 1 job.');
    await waitFor('the requeue in the history', async () => (await client.get(ids.failed1))?.history.some((h) => h.reason === 'Requeued from the dashboard'));
    // Delete one from its details page (the confirm dialog is accepted).
    await go(`/job/${ids.failed2}`);
    await Promise.all([page.waitForURL(/done=delete/), page.click('button[value=delete]')]);
    assert.equal(await text('.flash'), 'Deleted 1 job.');
    assert.match(await text('h1'), /deleted/);
    assert.equal(await state(ids.failed2), 'deleted');
    // Enqueue a scheduled job now: the server runs it, and its continuation follows.
    await go('/jobs/scheduled');
    await page.check(`input[name=ids][value="${ids.scheduled}"]`);
    await Promise.all([page.waitForURL(/done=enqueue/), page.click('button[value=requeue]')]);
    assert.equal(await text('.flash'), 'Enqueued 1 job.');
    await waitFor('the scheduled job to run', async () => (await state(ids.scheduled)) === 'succeeded');
    await waitFor('its continuation to run', async () => (await state(ids.awaiting)) === 'succeeded');
    // Bulk: select all enqueued jobs and delete them.
    await go('/jobs/enqueued');
    await page.check('[data-select-all]');
    assert.equal(await text('[data-selection-count]'), '2 selected');
    await Promise.all([page.waitForURL(/done=delete/), page.click('button[value=delete]')]);
    assert.equal(await text('.flash'), 'Deleted 2 jobs.');
    assert.deepEqual([await state(ids.enqueued1), await state(ids.enqueued2)], ['deleted', 'deleted']);
    // Requeue a deleted job back.
    await go('/jobs/deleted');
    await page.check(`input[name=ids][value="${ids.enqueued1}"]`);
    await Promise.all([page.waitForURL(/done=requeue/), page.click('button[value=requeue]')]);
    assert.equal(await state(ids.enqueued1), 'enqueued');
    assert.deepEqual(problems, []);
  });

  it('triggers, pauses, resumes and removes recurring jobs by clicking', async () => {
    await go('/recurring');
    const row = (id: string) => page.locator(`tr[data-recurring-id="${id}"]`);
    assert.match((await row('nightly-report').textContent()) ?? '', /0 3 \* \* \*[\s\S]*Europe\/Paris/);
    const act = async (id: string, op: string) => {
      await page.check(`input[name=ids][value="${id}"]`);
      await Promise.all([page.waitForURL(new RegExp(`done=${op}`)), page.click(`button[value=${op}]`)]);
    };
    await act('nightly-report', 'trigger');
    assert.equal(await text('.flash'), 'Triggered 1 recurring job.');
    const triggered = await waitFor('the trigger', async () => (await storage.getRecurring('nightly-report'))?.lastJobId);
    await waitFor('the triggered job to run', async () => (await state(triggered)) === 'succeeded');
    await act('nightly-report', 'pause');
    assert.equal(await text('.flash'), 'Paused 1 recurring job.');
    assert.equal(await row('nightly-report').locator('.badge.paused').count(), 1);
    assert.equal((await storage.getRecurring('nightly-report'))?.paused, true);
    await go('/recurring');
    await shot('recurring.png');
    await act('nightly-report', 'resume');
    assert.equal(await row('nightly-report').locator('.badge.paused').count(), 0);
    assert.equal((await storage.getRecurring('nightly-report'))?.paused, false);
    await act('every-5-minutes', 'remove');
    assert.equal(await text('.flash'), 'Removed 1 recurring job.');
    assert.equal(await row('every-5-minutes').count(), 0);
    assert.equal(await storage.getRecurring('every-5-minutes'), null);
    assert.deepEqual(problems, []);
  });
});
