/**
 * Micro-benchmark of PostgresStorage's hot paths (not a test; not run by `npm test`).
 *
 *   KILN_TEST_PG_URL=postgres://postgres@127.0.0.1:5432/test node --import tsx bench/postgres-storage-micro.ts [--quick]
 *
 * `--quick` skips the 1M-job part (its insert alone takes most of a minute), leaving the hot paths.
 *
 * Measures: createJobs of 20,000 jobs in one call; draining 20,000 jobs with fetch(100) +
 * transition(100 → succeeded, with a 1-day expiry, as the engine does) in 1 and in 4 concurrent
 * loops; fetch latency with 10k and with 1M enqueued jobs, and the plan of the claim query.
 * Everything happens in a throw-away schema, dropped at the end.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import pg from 'pg';
import type { NewJob, TransitionChange } from '../src/storage/contract/index.js';
import { PostgresStorage } from '../src/storage/postgres/index.js';

const url = process.env['KILN_TEST_PG_URL'] ?? 'postgres://postgres@127.0.0.1:5432/test';
const schema = `kiln_bench_${randomBytes(4).toString('hex')}`;
const DAY = 86_400_000;
const quick = process.argv.includes('--quick');

function jobs(n: number, queue = 'default'): NewJob[] {
  const now = Date.now();
  return Array.from({ length: n }, (_, i) => ({
    id: randomUUID(),
    name: 'noop',
    queue,
    args: JSON.stringify({ i }),
    state: { name: 'enqueued' as const, reason: 'bench', at: now },
    createdAt: now,
    parameters: {},
  }));
}

async function drain(storage: PostgresStorage, loops: number, serverId: string): Promise<number> {
  let done = 0;
  await Promise.all(
    Array.from({ length: loops }, async (_, l) => {
      const server = `${serverId}-${l}`;
      for (;;) {
        const now = Date.now();
        const got = await storage.fetch({ queues: ['default'], max: 100, serverId: server, leaseMs: 30_000, now });
        if (got.length === 0) return;
        const changes: TransitionChange[] = got.map((j) => ({
          id: j.id,
          expectStates: ['processing'],
          expectServerId: server,
          to: { name: 'succeeded', reason: 'done', data: { latency: 1, duration: 0 }, at: now },
          expireAt: now + DAY,
          result: 'null',
        }));
        const ok = await storage.transition(changes, now);
        done += ok.filter(Boolean).length;
      }
    }),
  );
  return done;
}

function rate(n: number, ms: number): string {
  return `${Math.round((n / ms) * 1000).toLocaleString('en-US')} jobs/s`;
}

async function fetchLatency(storage: PostgresStorage, samples: number): Promise<number[]> {
  const times: number[] = [];
  for (let i = 0; i < samples; i++) {
    const now = Date.now();
    const t = performance.now();
    const got = await storage.fetch({ queues: ['default'], max: 100, serverId: 'lat', leaseMs: 30_000, now });
    times.push(performance.now() - t);
    await storage.transition(
      got.map((j) => ({ id: j.id, expectStates: ['processing'], to: { name: 'succeeded', at: now }, expireAt: now + DAY })),
      now,
    );
  }
  times.sort((a, b) => a - b);
  return [times[Math.floor(times.length / 2)]!, times[Math.floor(times.length * 0.95)]!];
}

/**
 * The plan of the claim statement as it really runs inside `fetch_jobs` (auto_explain of the
 * nested statements, sent back as notices), in a transaction that is rolled back.
 */
async function explainClaim(admin: pg.Client): Promise<string> {
  const notices: string[] = [];
  const onNotice = (n: { message?: string }) => notices.push(n.message ?? '');
  admin.on('notice', onNotice);
  try {
    await admin.query('BEGIN');
    await admin.query(`LOAD 'auto_explain'`);
    await admin.query(`SET LOCAL auto_explain.log_min_duration = 0`);
    await admin.query(`SET LOCAL auto_explain.log_nested_statements = on`);
    await admin.query(`SET LOCAL auto_explain.log_level = 'notice'`);
    await admin.query(`SELECT count(*) FROM "${schema}".fetch_jobs('{default}', 100, 'explain', 0, 0)`);
  } catch (err) {
    return `    (auto_explain unavailable: ${(err as Error).message})`;
  } finally {
    await admin.query('ROLLBACK');
    admin.off('notice', onNotice);
  }
  const plan = notices.find((n) => n.includes('FOR UPDATE SKIP LOCKED')) ?? notices[0] ?? '';
  const lines = plan.split('\n');
  const from = lines.findIndex((l) => /^\s*(Update|Query Plan|Plan)/.test(l) || l.includes('->'));
  return lines
    .slice(Math.max(0, from))
    .filter((l) => l.trim() !== '')
    .map((l) => `    ${l}`)
    .join('\n');
}

async function main(): Promise<void> {
  const storage = new PostgresStorage(url, { schema, poolSize: 10 });
  const admin = new pg.Client({ connectionString: url });
  await admin.connect();
  try {
    await storage.migrate();
    const settings = await admin.query(
      `SELECT current_setting('server_version') v, current_setting('synchronous_commit') sc, current_setting('shared_buffers') sb`,
    );
    console.log(`PostgreSQL ${settings.rows[0].v}, synchronous_commit=${settings.rows[0].sc}, shared_buffers=${settings.rows[0].sb}`);

    // createJobs: 20,000 in one call.
    {
      const batch = jobs(20_000);
      const t = performance.now();
      await storage.createJobs(batch, { now: Date.now() });
      const ms = performance.now() - t;
      console.log(`createJobs 20,000 in one call: ${ms.toFixed(0)} ms (${rate(20_000, ms)})`);
    }
    // Drain 20,000 jobs with 1 and with 4 loops, three times each (this is a shared 2-core box
    // in CI: the median is the number to read, the spread is shown).
    for (const loops of [1, 4]) {
      const rates: number[] = [];
      for (let run = 0; run < 3; run++) {
        for (let i = 0; i < 4; i++) await storage.createJobs(jobs(5_000), { now: Date.now() });
        const t = performance.now();
        const n = await drain(storage, loops, `l${loops}r${run}`);
        rates.push((n / (performance.now() - t)) * 1000);
      }
      rates.sort((a, b) => a - b);
      const fmt = (r: number) => Math.round(r).toLocaleString('en-US');
      console.log(
        `fetch(100) + transition(100 → succeeded), ${loops} loop${loops > 1 ? 's' : ''}, 20,000 jobs: ` +
          `median ${fmt(rates[1]!)} jobs/s (runs ${rates.map(fmt).join(', ')})`,
      );
    }
    await admin.query(`VACUUM ANALYZE "${schema}".jobs`);
    // Fetch latency with 10k enqueued.
    {
      await storage.createJobs(jobs(10_000), { now: Date.now() });
      await admin.query(`ANALYZE "${schema}".jobs`);
      const [p50, p95] = await fetchLatency(storage, 30);
      console.log(`fetch(100) with 10k enqueued: p50 ${p50!.toFixed(2)} ms, p95 ${p95!.toFixed(2)} ms`);
      console.log(`  plan of the claim inside fetch_jobs:\n${await explainClaim(admin)}`);
    }
    // Fetch latency with 1M enqueued (inserted with SQL for speed).
    if (!quick) {
      const t = performance.now();
      await admin.query(
        `INSERT INTO "${schema}".jobs (id, name, queue, args, state, created_at, state_at, history)
         SELECT gen_random_uuid()::text, 'noop', 'default', '{}', 'enqueued', 0, 0,
                '{"name":"enqueued","at":0}'
           FROM generate_series(1, 1000000)`,
      );
      await admin.query(`ANALYZE "${schema}".jobs`);
      console.log(`(inserted 1M jobs with SQL in ${((performance.now() - t) / 1000).toFixed(1)} s)`);
      const [p50, p95] = await fetchLatency(storage, 30);
      console.log(`fetch(100) with 1M enqueued: p50 ${p50!.toFixed(2)} ms, p95 ${p95!.toFixed(2)} ms`);
      console.log(`  plan of the claim inside fetch_jobs:\n${await explainClaim(admin)}`);
      const stats = performance.now();
      await storage.statistics();
      console.log(`statistics() with 1M+ jobs: ${(performance.now() - stats).toFixed(0)} ms`);
      for (const state of ['enqueued', 'succeeded'] as const) {
        const page = performance.now();
        const { total } = await storage.listJobs({ state, offset: 0, limit: 20 });
        console.log(`listJobs(${state}, first page of ${total.toLocaleString('en-US')}): ${(performance.now() - page).toFixed(0)} ms`);
      }
    }
  } finally {
    await storage.close();
    await admin.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await admin.end();
  }
}

await main();
