// Kiln's demo: two servers on the embedded SQLite default (./kiln.db) with sample jobs flowing,
// and the dashboard on http://127.0.0.1:4747/. Every page of the dashboard has something to show:
// - several queues (critical, default, mail, reports, media), one of them a backlog of image
//   resizes that a small second server drains in about a minute;
// - emails, and reports whose continuation notifies the owner when they are done;
// - a webhook that fails twice and then succeeds on retry, a CRM sync that keeps failing and waits
//   in Retries, a card charge that fails for good (Failed);
// - a long export that reports its progress (Processing), a newsletter scheduled for later with a
//   continuation awaiting it (Scheduled, Awaiting), a reminder that was deleted (Deleted);
// - recurring jobs: a clean-up every 10 seconds, a nightly digest, a paused hourly sync;
// - flow control: tenant imports limited to 2 at once per tenant (Queues shows each tenant's use),
//   and an urgent webhook that goes ahead of the queue (priority).
// Ctrl-C stops it gracefully. Run it with `npm run demo` (KILN_DEMO_PORT picks another port).
import { setTimeout as sleep } from 'node:timers/promises';
import { BackgroundJobServer, JobClient, NonRetryableError, defineJob } from '../src/index.js';
import { startDashboard } from '../src/dashboard/index.js';

const sendEmail = defineJob({
  name: 'send-email',
  queue: 'mail',
  async run({ to }: { to: string }, ctx) {
    await sleep(50 + Math.random() * 200, undefined, { signal: ctx.signal });
    ctx.logger.info(`email sent to ${to}`);
  },
});

const buildReport = defineJob({
  name: 'build-report',
  queue: 'reports',
  async run({ month }: { month: string }, ctx) {
    for (let step = 1; step <= 4; step++) {
      await sleep(150, undefined, { signal: ctx.signal });
      ctx.progress(step * 25);
    }
    return { month, rows: Math.floor(Math.random() * 1000) };
  },
});

const notifyOwner = defineJob({
  name: 'notify-report-owner',
  queue: 'mail',
  run: (_: null, ctx) => ctx.logger.info(`report ready: ${JSON.stringify(ctx.parentResult)}`),
});

// Fails on its first two attempts, then succeeds: watch the retries in the log.
const callWebhook = defineJob({
  name: 'call-webhook',
  queue: 'critical',
  retry: { attempts: 3, delays: ['2s', '4s'] },
  async run({ url }: { url: string }, ctx) {
    if (ctx.attempt < 3) throw new Error(`${url} answered 503 (attempt ${ctx.attempt})`);
    ctx.logger.info(`webhook ${url} delivered on attempt ${ctx.attempt}`);
  },
});

// Always fails: it waits in Retries between attempts, then ends in Failed.
const syncCrm = defineJob({
  name: 'sync-crm',
  retry: { attempts: 3, delays: ['30s', '1m', '2m'] },
  run: ({ account }: { account: string }) => {
    throw new Error(`CRM rejected account ${account}: API token expired`);
  },
});

// Fails for good at once: a declined card is not retried.
const chargeCard = defineJob({
  name: 'charge-card',
  queue: 'critical',
  run: ({ order, cents }: { order: number; cents: number }) => {
    throw new NonRetryableError(`card declined for order ${order} (${(cents / 100).toFixed(2)} EUR)`);
  },
});

// A long job that reports how far it got: a bar on the Processing page.
const exportArchive = defineJob({
  name: 'export-archive',
  queue: 'reports',
  async run({ year }: { year: number }, ctx) {
    for (let percent = 0; percent < 100; percent += 5) {
      ctx.progress(percent);
      await sleep(3000, undefined, { signal: ctx.signal });
    }
    ctx.progress(100);
    return { year, files: 1200 };
  },
});

// The backlog: many small jobs on the `media` queue, served by a second server of two workers.
const resizeImage = defineJob({
  name: 'resize-image',
  queue: 'media',
  async run({ image }: { image: number }, ctx) {
    await sleep(250 + Math.random() * 100, undefined, { signal: ctx.signal });
    return { image, width: 640 };
  },
});

// At most 2 imports per tenant at once, across every server: the rest wait in the queue.
const importTenant = defineJob({
  name: 'import-tenant',
  queue: 'imports',
  concurrency: { limit: 2, key: (a: { tenant: string; batch: number }) => a.tenant },
  async run({ tenant, batch }, ctx) {
    await sleep(1500 + Math.random() * 1000, undefined, { signal: ctx.signal });
    return { tenant, batch, rows: 500 };
  },
});

const sendNewsletter = defineJob({ name: 'send-newsletter', queue: 'mail', run: ({ issue }: { issue: number }) => ({ issue, sent: 5000 }) });
const archiveNewsletter = defineJob({ name: 'archive-newsletter', run: (_: null, ctx) => ({ archived: ctx.parentResult }) });
const remind = defineJob({ name: 'send-reminder', queue: 'mail', run: ({ to }: { to: string }) => ({ to }) });
const cleanUp = defineJob({ name: 'clean-up-temp-files', run: () => ({ removed: Math.floor(Math.random() * 20) }) });
const digest = defineJob({ name: 'nightly-digest', queue: 'mail', run: () => ({ sent: 1 }) });
const hourlySync = defineJob({ name: 'hourly-sync', run: () => ({ synced: true }) });

const server = new BackgroundJobServer({ workerCount: 8, queues: ['critical', 'default', 'mail', 'reports', 'imports'] });
const mediaServer = new BackgroundJobServer({ name: 'media-worker', workerCount: 2, queues: ['media'] });
await Promise.all([server.start(), mediaServer.start()]);
const client = new JobClient();
const dashboard = await startDashboard({ storage: server.storage, port: Number(process.env['KILN_DEMO_PORT'] ?? 4747) });

console.log(`Kiln demo: two servers on ./kiln.db are running sample jobs; the dashboard is on ${dashboard.url}. Press Ctrl-C to stop.`);

await client.recurring.addOrUpdate('clean-up', cleanUp, undefined, { cron: '*/10 * * * * *' });
await client.recurring.addOrUpdate('nightly-digest', digest, undefined, { cron: '0 3 * * *', timeZone: 'Europe/Paris' });
await client.recurring.addOrUpdate('hourly-sync', hourlySync, undefined, { cron: '0 * * * *' });
await client.recurring.pause('hourly-sync');

await client.enqueue(callWebhook, { url: 'https://example.com/hook' });
await client.enqueue(syncCrm, { account: 'acme' });
await client.enqueue(chargeCard, { order: 1042, cents: 12900 });
await client.enqueue(exportArchive, { year: 2025 });
await client.schedule(buildReport, { month: 'last' }, { delay: '5s' });
const newsletter = await client.schedule(sendNewsletter, { issue: 12 }, { delay: '1h' });
await client.continueWith(newsletter, archiveNewsletter, null);
const reminder = await client.schedule(remind, { to: 'ada@example.com' }, { delay: '1d' });
await client.delete(reminder, {}, 'The customer unsubscribed');
await client.enqueueMany(
  importTenant,
  ['acme', 'globex', 'initech'].flatMap((tenant) => Array.from({ length: 20 }, (_, i) => ({ tenant, batch: i + 1 }))),
);
await client.enqueue(callWebhook, { url: 'https://example.com/urgent' }, { priority: 50 });
await client.enqueueMany(resizeImage, Array.from({ length: 360 }, (_, i) => ({ image: i + 1 })));

let n = 0;
const producer = setInterval(() => {
  n++;
  void client.enqueueMany(sendEmail, [{ to: `user${n}@example.com` }, { to: `team${n}@example.com` }]);
  if (n % 3 === 0) {
    void client
      .enqueue(buildReport, { month: `2026-${String((n % 12) + 1).padStart(2, '0')}` })
      .then((id) => client.continueWith(id, notifyOwner, null));
  }
  if (n % 20 === 0) void client.enqueue(chargeCard, { order: 1042 + n, cents: 100 * n });
  if (n % 30 === 0) void client.enqueue(syncCrm, { account: `customer-${n}` });
}, 1000);
const report = setInterval(async () => {
  const [s, queues] = await Promise.all([server.storage.statistics(), server.storage.queues()]);
  const media = queues.find((q) => q.queue === 'media');
  console.log(
    `jobs: ${s.states.enqueued} enqueued (${media?.enqueued ?? 0} images to resize), ${s.states.scheduled} scheduled, ` +
      `${s.states.processing} processing, ${s.succeededTotal} succeeded, ${s.states.failed} failed`,
  );
}, 5000);

// Ctrl-C: stop producing, stop both servers gracefully (running jobs are requeued), then end by
// the signal as a process without a handler would.
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    clearInterval(producer);
    clearInterval(report);
    void Promise.all([server.dispose(), mediaServer.dispose(), dashboard.close()]).finally(() => process.kill(process.pid, signal));
  });
}
