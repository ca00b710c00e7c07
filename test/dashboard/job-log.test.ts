/**
 * The job page in a real browser: the job's log lines (what it wrote with `ctx.logger`), followed
 * live while the job runs, with its progress bar moving; the marker of dropped lines; a hostile
 * message shown as text.
 */
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { BackgroundJobServer, JobClient, SqliteStorage, defineJob, silentLogger } from '../../src/index.js';
import { startDashboard, type RunningDashboard } from '../../src/dashboard/index.js';
import { deferred } from '../support/wait.js';
import { launchChromium, tempDir, withoutChromium } from './helpers.js';

const SHOTS = resolve('test-results/dashboard');
const XSS = '<img src=x onerror="window.__kilnXss = 1">';
const gates = { second: deferred(), finish: deferred() };

const steps = defineJob({
  name: 'dash-log-steps',
  async run(args: { file: string }, ctx) {
    ctx.logger.info('step one: reading', { file: args.file });
    ctx.logger.warn(XSS);
    ctx.progress(30);
    await gates.second.promise;
    ctx.logger.info('step two: writing');
    ctx.progress(80);
    await gates.finish.promise;
    ctx.logger.error('step three: done, with a complaint');
    return 'ok';
  },
});

const chatty = defineJob({
  name: 'dash-log-chatty',
  run(_: void, ctx) {
    for (let i = 1; i <= 10; i++) ctx.logger.info(`line ${i}`);
  },
});

describe('job logs in the dashboard, in a browser', { skip: withoutChromium }, () => {
  const tmp = tempDir();
  const storage = new SqliteStorage(join(tmp.dir, 'kiln.db'), { logger: silentLogger });
  const client = new JobClient({ storage, logger: silentLogger });
  let server: BackgroundJobServer;
  let dashboard: RunningDashboard;
  let browser: Browser;
  let page: Page;
  const problems: string[] = [];

  before(async () => {
    mkdirSync(SHOTS, { recursive: true });
    server = new BackgroundJobServer({ storage, jobs: [steps, chatty], jobLogLines: 6, pollInterval: 20, logger: silentLogger });
    await server.start();
    dashboard = await startDashboard({ client, port: 0, logger: silentLogger });
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    page.on('console', (m) => {
      if (m.type() === 'error') problems.push(`console: ${m.text()}`);
    });
    page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  });

  after(async () => {
    gates.second.resolve();
    gates.finish.resolve();
    await browser?.close();
    await dashboard?.close();
    await server?.dispose();
    await storage.close();
    tmp.remove();
  });

  const lines = () => page.locator('[data-log] .log-line .msg').allTextContents();

  it('follows a running job: new lines appear and the progress bar moves without a reload; a message is text, never markup', async () => {
    const id = await client.enqueue(steps, { file: 'report.csv' });
    const running = new Promise<void>((done) => {
      const listener = (e: { jobId: string; type: string }) => e.jobId === id && e.type === 'progress' && done();
      client.events.on('progress', listener);
    });
    await client.events.ready();
    await running;
    await client.events.close();
    // Log lines and progress are stored by their own batched writes, which may land after the
    // progress event: the live page picks them up without a reload, so wait for both lines.
    const res = await page.goto(`${dashboard.url}job/${id}`);
    assert.equal(res?.status(), 200);
    await page.waitForFunction(() => document.querySelectorAll('[data-log] .log-line').length >= 2);
    assert.deepEqual(await lines(), ['step one: reading', XSS]);
    assert.equal(await page.locator('[data-log] .log-line .fields').first().textContent(), '{"file":"report.csv"}');
    await page.waitForSelector('[data-live-progress] progress[value="30"]');

    gates.second.resolve();
    await page.waitForSelector('[data-log] .log-line:has-text("step two: writing")');
    await page.waitForSelector('[data-live-progress] progress[value="80"]');
    assert.equal(await page.locator('[data-live-progress] .num').textContent(), '80%');
    const reloads = await page.evaluate(() => performance.getEntriesByType('navigation').length);
    assert.equal(reloads, 1, 'the page was not reloaded');

    gates.finish.resolve();
    await page.waitForSelector('[data-state-changed="succeeded"]');
    assert.deepEqual(await lines(), ['step one: reading', XSS, 'step two: writing', 'step three: done, with a complaint']);
    assert.equal(await page.locator('.log-line.lvl-error .lvl').textContent(), 'error');
    assert.equal(await page.evaluate(() => (window as unknown as { __kilnXss?: number }).__kilnXss), undefined, 'a logged message ran as markup');
    await page.screenshot({ path: join(SHOTS, 'job-log-live.png'), fullPage: true });

    // After a reload: the whole log of the finished job, not followed any more.
    await page.reload();
    assert.equal((await lines()).length, 4);
    assert.equal(await page.locator('[data-live-url]').count(), 0);
    assert.deepEqual(problems, []);
  });

  it('shows the marker of the lines dropped to keep a job within its bound', async () => {
    const id = await client.enqueue(chatty, undefined);
    await client.waitFor(id, { timeout: '30s' });
    await page.goto(`${dashboard.url}job/${id}`);
    assert.deepEqual(await lines(), ['line 5', 'line 6', 'line 7', 'line 8', 'line 9', 'line 10']);
    assert.equal(await page.locator('[data-log-dropped]').isVisible(), true);
    assert.equal(await page.locator('[data-dropped-count]').textContent(), '4');
    assert.deepEqual(problems, []);
    const api = async (path: string) => {
      const r = await fetch(`${dashboard.url}${path}`);
      return { status: r.status, body: (await r.json()) as { state: string; dropped: number; lastSeq: number; lines: Array<{ seq: number }> } };
    };
    const live = await api(`api/job/${id}?after=8`);
    assert.equal(live.status, 200);
    assert.deepEqual([live.body.state, live.body.dropped, live.body.lastSeq, live.body.lines.map((l) => l.seq)], ['succeeded', 4, 10, [9, 10]]);
    assert.equal((await api(`api/job/${id}?after=-1`)).status, 400);
    assert.equal((await api(`api/job/00000000-0000-0000-0000-000000000000`)).status, 404);
  });
});
