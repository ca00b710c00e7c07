/**
 * Time to first byte of every dashboard page over a SQLite storage holding 100k jobs across all
 * states (plus history, retries, recurring jobs and a server). Not a test: run it by hand.
 *
 *   node --import tsx bench/dashboard-ttfb.ts [jobs=100000] [runs=7]
 *
 * Jobs are written through the storage contract (createJobs, fetch, transition), as the engine
 * would, spread over the last 7 days so the history chart has data. Each page is requested once
 * to warm up, then `runs` times; the median and the worst are printed.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startDashboard } from '../src/dashboard/index.js';
import { newJobId } from '../src/jobs/ids.js';
import { silentLogger } from '../src/logger.js';
import type { NewJob, StateName, TransitionChange } from '../src/storage/contract/index.js';
import { SqliteStorage } from '../src/storage/sqlite/index.js';

const TOTAL = Number(process.argv[2] ?? 100_000);
const RUNS = Number(process.argv[3] ?? 7);
const NAMES = ['send-email', 'resize-image', 'sync-crm', 'charge-card', 'build-report', 'index-document', 'notify-slack', 'export-csv'];
const QUEUES = ['default', 'mail', 'reports', 'critical'];
const DAY = 86_400_000;

/** How the jobs are spread over the states, as shares of TOTAL. */
const SHARES: Record<'succeeded' | 'failed' | 'deleted' | 'processing' | 'retry' | 'scheduled' | 'enqueued' | 'awaiting', number> = {
  succeeded: 0.45,
  failed: 0.15,
  deleted: 0.08,
  processing: 0.04,
  retry: 0.06,
  scheduled: 0.06,
  enqueued: 0.12,
  awaiting: 0.04,
};
type Kind = keyof typeof SHARES;
const count = (k: Kind) => Math.round(TOTAL * SHARES[k]);

const dir = mkdtempSync(join(tmpdir(), 'kiln-dashboard-bench-'));
const storage = new SqliteStorage(join(dir, 'kiln.db'));
const realNow = Date.now();

function newJob(i: number, at: number, state: NewJob['state'], extra: Partial<NewJob> = {}): NewJob {
  const name = NAMES[i % NAMES.length]!;
  return {
    id: newJobId(at),
    name,
    queue: extra.queue ?? QUEUES[i % QUEUES.length]!,
    args: JSON.stringify({ userId: 100_000 + i, email: `user${i}@example.com`, options: { locale: 'en', retries: i % 3 } }),
    state,
    createdAt: at,
    parameters: {},
    ...extra,
  };
}

async function fill(): Promise<void> {
  await storage.migrate();
  // Jobs that go through a worker: enqueued in a staging queue, fetched, then moved on.
  const plan: Kind[] = [];
  for (const k of ['succeeded', 'failed', 'deleted', 'processing', 'retry'] as const) for (let i = 0; i < count(k); i++) plan.push(k);
  for (let i = plan.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [plan[i], plan[j]] = [plan[j]!, plan[i]!];
  }
  const BATCH = 2000;
  const batches = Math.ceil(plan.length / BATCH);
  for (let b = 0; b < batches; b++) {
    const at = realNow - 7 * DAY + Math.round(((b + 0.5) / batches) * 7 * DAY) - 60_000;
    const kinds = plan.slice(b * BATCH, (b + 1) * BATCH);
    const jobs = kinds.map((_, i) => newJob(b * BATCH + i, at, { name: 'enqueued', reason: 'Enqueued by the client', at }, { queue: 'staging' }));
    await storage.createJobs(jobs, { now: at });
    const kindOf = new Map(jobs.map((j, i) => [j.id, kinds[i]!]));
    const fetched = await storage.fetch({ queues: ['staging'], max: jobs.length, serverId: 'bench-server', leaseMs: 2 * DAY, now: at + 10 });
    const end = at + 500;
    const changes: TransitionChange[] = [];
    for (const job of fetched) {
      const kind = kindOf.get(job.id)!;
      const base = { id: job.id, expectStates: ['processing' as StateName], expectServerId: 'bench-server' };
      const error = `Request to https://api.example.com/v1/items/${job.id.slice(-6)} failed: 503 Service Unavailable`;
      const failedEntry = { name: 'failed' as const, reason: `Error: ${error}`, at: end, data: { error, stack: `Error: ${error}\n    at callApi (/app/src/api.ts:42:11)\n    at run (/app/src/jobs/${job.name}.ts:17:5)\n    at runJob (/app/node_modules/kiln/dist/server/job-runner.js:106:37)` } };
      if (kind === 'processing') continue;
      if (kind === 'succeeded') changes.push({ ...base, to: { name: 'succeeded', reason: 'Succeeded', at: end, data: { duration: 480 } }, expireAt: realNow + DAY, result: '{"ok":true}' });
      if (kind === 'failed') changes.push({ ...base, to: failedEntry });
      if (kind === 'deleted') changes.push({ ...base, to: { name: 'deleted', reason: 'Deleted by the client', at: end }, expireAt: realNow + DAY });
      if (kind === 'retry') {
        changes.push({
          ...base,
          passedThrough: [failedEntry],
          to: { name: 'scheduled', reason: `Retry attempt 1 of 10: Error: ${error}`, at: end },
          runAt: realNow + 3_600_000,
          attempt: 2,
          parameters: { retryCount: 1 },
        });
      }
    }
    await storage.transition(changes, end);
  }
  // Jobs that never ran: enqueued in the real queues, scheduled for later, awaiting a parent.
  const at = realNow - 60_000;
  const direct: NewJob[] = [];
  for (let i = 0; i < count('enqueued'); i++) direct.push(newJob(i, at, { name: 'enqueued', reason: 'Enqueued by the client', at }));
  const scheduled: NewJob[] = [];
  for (let i = 0; i < count('scheduled'); i++) {
    const runAt = realNow + 3_600_000 + i * 1000;
    scheduled.push(newJob(i, at, { name: 'scheduled', reason: 'Scheduled by the client', at, data: { runAt } }, { runAt }));
  }
  for (let i = 0; i < count('awaiting'); i++) {
    const parentId = scheduled[i % scheduled.length]!.id;
    direct.push(newJob(i, at, { name: 'awaiting', reason: `Waiting for job ${parentId} (succeeded)`, at, data: { parentId } }, { parentId }));
  }
  for (let i = 0; i < scheduled.length; i += 5000) await storage.createJobs(scheduled.slice(i, i + 5000), { now: at });
  for (let i = 0; i < direct.length; i += 5000) await storage.createJobs(direct.slice(i, i + 5000), { now: at });
  for (let i = 0; i < 200; i++) {
    await storage.upsertRecurring({
      id: `recurring-${String(i).padStart(3, '0')}`,
      name: NAMES[i % NAMES.length]!,
      queue: 'default',
      args: '{"batch":true}',
      cron: `${i % 60} * * * *`,
      timeZone: i % 2 ? 'Europe/Paris' : 'UTC',
      misfire: 'relaxed',
      nextExecution: realNow + (i % 60) * 60_000,
      lastExecution: null,
      lastJobId: null,
      paused: i % 10 === 0,
      createdAt: realNow,
      error: null,
    });
  }
  await storage.announceServer({ id: 'bench-server', name: 'bench:1', workerCount: 20, queues: QUEUES, startedAt: realNow - DAY, heartbeatAt: realNow });
}

async function ttfb(url: string): Promise<{ ms: number; bytes: number; status: number }> {
  const t = performance.now();
  const res = await fetch(url);
  const ms = performance.now() - t;
  const bytes = (await res.arrayBuffer()).byteLength;
  return { ms, bytes, status: res.status };
}

try {
  const t0 = performance.now();
  await fill();
  const stats = await storage.statistics();
  const fillMs = performance.now() - t0;
  console.log(`filled ${Object.values(stats.states).reduce((a, b) => a + b, 0).toLocaleString('en-US')} jobs in ${(fillMs / 1000).toFixed(1)} s:`, stats.states);
  const running = await startDashboard({ storage, port: 0, logger: silentLogger });
  const failed = (await storage.listJobs({ state: 'failed', offset: 0, limit: 1 })).jobs[0]!;
  const lastPage = Math.ceil(stats.states.succeeded / 20);
  const pages: Array<[string, string]> = [
    ['overview', ''],
    ['enqueued', 'jobs/enqueued'],
    ['enqueued, one queue', 'jobs/enqueued?queue=mail'],
    ['scheduled', 'jobs/scheduled'],
    ['processing', 'jobs/processing'],
    ['succeeded', 'jobs/succeeded'],
    [`succeeded, last page (${lastPage})`, `jobs/succeeded?page=${lastPage}`],
    ['succeeded, 500 per page', 'jobs/succeeded?size=500'],
    ['failed', 'jobs/failed'],
    ['failed, search by name', 'jobs/failed?search=report'],
    ['failed, search by id prefix', `jobs/failed?search=${failed.id.slice(0, 13)}`],
    ['failed, exact name', 'jobs/failed?name=sync-crm'],
    ['deleted', 'jobs/deleted'],
    ['awaiting', 'jobs/awaiting'],
    ['retries', 'retries'],
    ['job details (failed)', `job/${failed.id}`],
    ['recurring (200)', 'recurring'],
    ['servers', 'servers'],
    ['queues', 'queues'],
    ['api/stats', 'api/stats'],
    ['api/history', 'api/history'],
  ];
  console.log(`\nTTFB over ${RUNS} runs after one warm-up (SQLite, ${TOTAL.toLocaleString('en-US')} jobs):`);
  console.log(`${'page'.padEnd(36)} ${'median'.padStart(9)} ${'worst'.padStart(9)} ${'size'.padStart(9)}`);
  for (const [label, path] of pages) {
    const url = running.url + path;
    const warm = await ttfb(url);
    if (warm.status !== 200) throw new Error(`${path}: HTTP ${warm.status}`);
    const times: number[] = [];
    for (let i = 0; i < RUNS; i++) times.push((await ttfb(url)).ms);
    times.sort((a, b) => a - b);
    const median = times[Math.floor(times.length / 2)]!;
    console.log(`${label.padEnd(36)} ${`${median.toFixed(1)} ms`.padStart(9)} ${`${times[times.length - 1]!.toFixed(1)} ms`.padStart(9)} ${`${(warm.bytes / 1024).toFixed(0)} kB`.padStart(9)}`);
  }
  await running.close();
} finally {
  await storage.close();
  rmSync(dir, { recursive: true, force: true });
}
