/**
 * What the two hot storage calls cost per job, without a server around them: enqueues `jobs`
 * no-op jobs, then claims them `max` at a time (`fetch`) and completes each batch in
 * transitions of 143 (a drain's usual sizes), one call after the other. Prints this process's
 * CPU and the wall time per job of each call, and on Postgres the time spent inside its claim and
 * transition functions (`pg_stat_user_functions`, when `track_functions` is `pl` or `all`).
 * Runs the compiled package (`npm run build` first), so it can be pointed at another checkout's
 * `dist/` to compare two versions of the code on one machine.
 *
 *   node --import tsx bench/tools/claim-cost.ts [sqlite|postgres] [jobs=60000] [--limited] [--max=425] [--dist=DIR]
 *
 * `--limited` gives every job the per-key limit of the `drain-limited` workload (5 per key over
 * 100 keys).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { PG_URL, dropSchema, pgQuery } from '../services.js';
import { LIMITED_KEYS, PER_KEY_LIMIT } from '../system.js';

const positional = process.argv.slice(2).filter((a) => !a.startsWith('--'));
const flag = (name: string): string | undefined => process.argv.find((a) => a.startsWith(`--${name}=`))?.split('=')[1];
const backend = positional[0] ?? 'sqlite';
const jobs = Number(positional[1] ?? 60_000);
const max = Number(flag('max') ?? 425);
const limited = process.argv.includes('--limited');
const dist = resolve(flag('dist') ?? new URL('../../dist', import.meta.url).pathname);

const load = async <T>(path: string): Promise<T> => (await import(pathToFileURL(join(dist, path)).href)) as T;
const { JobClient, defineJob, silentLogger } = await load<typeof import('../../src/index.js')>('index.js');
type Storage = import('../../src/storage/contract/index.js').Storage;

const schema = `claim_cost_${process.pid}`;
const dir = mkdtempSync(join(tmpdir(), 'kiln-claim-cost-'));
let storage: Storage;
if (backend === 'postgres') {
  const { PostgresStorage } = await load<typeof import('../../src/storage/postgres/index.js')>('storage/postgres/index.js');
  storage = new PostgresStorage({ connectionString: PG_URL }, { schema, logger: silentLogger });
} else {
  const { SqliteStorage } = await load<typeof import('../../src/storage/sqlite/index.js')>('storage/sqlite/index.js');
  storage = new SqliteStorage(join(dir, 'kiln.db'));
}

const job = defineJob<{ i: number }>({
  name: 'noop',
  ...(limited ? { concurrency: { limit: PER_KEY_LIMIT, key: (a: { i: number }) => `k${a.i % LIMITED_KEYS}` } } : {}),
  run: async () => {},
});
const client = new JobClient({ storage, logger: silentLogger });
let closed = false;
try {
  await client.ready();
  for (let i = 0; i < jobs; i += 20_000) {
    await client.enqueueMany(job, Array.from({ length: Math.min(20_000, jobs - i) }, (_, k) => ({ i: i + k })));
  }
  const serverId = 'claim-cost';
  const totals = { fetchCpu: 0, fetchWall: 0, transitionCpu: 0, transitionWall: 0, claimed: 0 };
  for (;;) {
    const now = Date.now();
    let cpu = process.cpuUsage();
    let wall = performance.now();
    const claimed = await storage.fetch({ queues: ['default'], max, serverId, leaseMs: 300_000, now });
    let used = process.cpuUsage(cpu);
    totals.fetchCpu += used.user + used.system;
    totals.fetchWall += performance.now() - wall;
    if (claimed.length === 0) break;
    totals.claimed += claimed.length;
    for (let i = 0; i < claimed.length; i += 143) {
      const changes = claimed.slice(i, i + 143).map((j) => ({
        id: j.id,
        expectStates: ['processing' as const],
        expectServerId: serverId,
        to: { name: 'succeeded' as const, reason: 'Completed', at: now, data: { duration: 1 } },
        expireAt: now + 86_400_000,
      }));
      cpu = process.cpuUsage();
      wall = performance.now();
      await storage.transition(changes, now);
      used = process.cpuUsage(cpu);
      totals.transitionCpu += used.user + used.system;
      totals.transitionWall += performance.now() - wall;
    }
  }
  const per = (us: number): string => (us / Math.max(1, totals.claimed)).toFixed(2);
  console.log(`${backend}${limited ? ' (limited)' : ''}, ${totals.claimed} jobs, max ${max}, dist ${dist}`);
  console.log(`  fetch:      ${per(totals.fetchCpu)} µs CPU, ${per(totals.fetchWall * 1000)} µs wall per job`);
  console.log(`  transition: ${per(totals.transitionCpu)} µs CPU, ${per(totals.transitionWall * 1000)} µs wall per job`);
  await storage.close();
  closed = true;
  if (backend === 'postgres') await functionTimes(totals.claimed);
} finally {
  if (!closed) await storage.close();
  if (backend === 'postgres') await dropSchema(schema);
  rmSync(dir, { recursive: true, force: true });
}

/**
 * Time spent inside the claim and transition functions, per job. A session reports its function
 * statistics when it ends, so this reads them after the storage closed its connections.
 */
async function functionTimes(claimed: number): Promise<void> {
  const read = () =>
    pgQuery(
      `SELECT funcname, calls, round(total_time::numeric, 1) AS ms FROM pg_stat_user_functions
        WHERE schemaname = '${schema}' AND funcname IN ('fetch_jobs', 'claim_limited', 'transition_jobs') ORDER BY funcname`,
    );
  let stats = await read();
  for (let tries = 0; stats.rows.length === 0 && tries < 20; tries++) {
    await new Promise((r) => setTimeout(r, 100));
    stats = await read();
  }
  for (const r of stats.rows as Array<{ funcname: string; calls: string; ms: string }>) {
    console.log(`  in ${r.funcname}: ${((Number(r.ms) * 1000) / Math.max(1, claimed)).toFixed(2)} µs per job (${r.calls} calls)`);
  }
  if (stats.rows.length === 0) console.log('  (no function timings: set track_functions = pl to see them)');
}
