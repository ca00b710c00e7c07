// Kiln's demo: a server on the embedded SQLite default (./kiln.db) with sample jobs flowing —
// emails, reports with a continuation, a webhook that fails twice and then succeeds on retry, a
// recurring clean-up every 10 seconds — and the dashboard on http://127.0.0.1:4747/.
// Ctrl-C stops it gracefully. Run it with `npm run demo` (KILN_DEMO_PORT picks another port).
import { setTimeout as sleep } from 'node:timers/promises';
import { BackgroundJobServer, JobClient, defineJob } from '../src/index.js';
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
  async run({ month }: { month: string }, ctx) {
    for (let step = 1; step <= 4; step++) {
      await sleep(150, undefined, { signal: ctx.signal });
      ctx.progress(step * 25);
    }
    return { month, rows: Math.floor(Math.random() * 1000) };
  },
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

const cleanUp = defineJob({
  name: 'clean-up-temp-files',
  run: () => ({ removed: Math.floor(Math.random() * 20) }),
});

const notifyOwner = defineJob({
  name: 'notify-report-owner',
  queue: 'mail',
  run: (_: null, ctx) => ctx.logger.info(`report ready: ${JSON.stringify(ctx.parentResult)}`),
});

const server = new BackgroundJobServer({ workerCount: 10, queues: ['critical', 'default', 'mail'], handleSignals: true });
await server.start();
const client = new JobClient();
await client.recurring.addOrUpdate('clean-up', cleanUp, undefined, { cron: '*/10 * * * * *' });
const dashboard = await startDashboard({ storage: server.storage, port: Number(process.env['KILN_DEMO_PORT'] ?? 4747) });

console.log(`Kiln demo: a server on ./kiln.db is running sample jobs; the dashboard is on ${dashboard.url}. Press Ctrl-C to stop.`);
await client.enqueue(callWebhook, { url: 'https://example.com/hook' });
await client.schedule(buildReport, { month: 'last' }, { delay: '5s' });

let n = 0;
const producer = setInterval(() => {
  n++;
  void client.enqueueMany(sendEmail, [{ to: `user${n}@example.com` }, { to: `team${n}@example.com` }]);
  if (n % 3 === 0) {
    void client
      .enqueue(buildReport, { month: `2026-${String((n % 12) + 1).padStart(2, '0')}` })
      .then((id) => client.continueWith(id, notifyOwner, null));
  }
}, 1000);
const report = setInterval(async () => {
  const s = await server.storage.statistics();
  console.log(
    `jobs: ${s.states.enqueued} enqueued, ${s.states.scheduled} scheduled, ${s.states.processing} processing, ` +
      `${s.succeededTotal} succeeded, ${s.failedTotal} failed attempts`,
  );
}, 3000);

// Stop producing as soon as a shutdown begins; the server finishes or requeues what runs.
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.prependOnceListener(signal, () => {
    clearInterval(producer);
    clearInterval(report);
    void dashboard.close();
  });
}
