/**
 * Why job history is text on the job row (migration 1: its entries as JSON texts joined by
 * commas) rather than a jsonb array on the row or a separate table: the three layouts, the same claim + complete statements, 20,000 jobs drained in batches of 100 by
 * one loop; reports jobs/s and WAL bytes per job (the deterministic part of the cost).
 *
 *   KILN_TEST_PG_URL=postgres://postgres@127.0.0.1:5432/test node --import tsx bench/postgres-history.ts
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';

const url = process.env['KILN_TEST_PG_URL'] ?? 'postgres://postgres@127.0.0.1:5432/test';
const JOBS = 20_000;

interface Layout {
  name: string;
  ddl(s: string): string;
  claim(s: string): string;
  complete(s: string): string;
}

const common = `seq bigint GENERATED ALWAYS AS IDENTITY, id text COLLATE "C" PRIMARY KEY, queue text NOT NULL,
  state text NOT NULL, state_at bigint NOT NULL, server_id text, expire_at bigint, args text NOT NULL`;
const indexes = (s: string) => `
  CREATE INDEX ON ${s}.jobs (queue, seq) WHERE state = 'enqueued';
  CREATE INDEX ON ${s}.jobs (expire_at) WHERE expire_at IS NOT NULL;`;
const pick = (s: string) => `SELECT c.id FROM ${s}.jobs c WHERE c.state = 'enqueued' AND c.queue = 'default'
  ORDER BY c.seq LIMIT 100 FOR UPDATE SKIP LOCKED`;

const layouts: Layout[] = [
  {
    name: 'JSON text on the row',
    ddl: (s) => `CREATE TABLE ${s}.jobs (${common}, history text NOT NULL); ${indexes(s)}`,
    claim: (s) => `UPDATE ${s}.jobs j SET state = 'processing', state_at = $1::bigint, server_id = 's',
        history = j.history || ',' || json_build_object('name', 'processing', 'data', json_build_object('serverId', 's'), 'at', $1::bigint)::text
      WHERE j.id = ANY (ARRAY(${pick(s)})) RETURNING j.id`,
    complete: (s) => `UPDATE ${s}.jobs j SET state = 'succeeded', state_at = $2::bigint, server_id = NULL, expire_at = $2::bigint + 86400000,
        history = j.history || ',' || json_build_object('name', 'succeeded', 'reason', 'done', 'at', $2::bigint)::text
      WHERE j.id = ANY ($1::text[]) AND j.state = 'processing'`,
  },
  {
    name: 'jsonb array on the row',
    ddl: (s) => `CREATE TABLE ${s}.jobs (${common}, history jsonb NOT NULL); ${indexes(s)}`,
    claim: (s) => `UPDATE ${s}.jobs j SET state = 'processing', state_at = $1::bigint, server_id = 's',
        history = j.history || jsonb_build_array(jsonb_build_object('name', 'processing', 'data', jsonb_build_object('serverId', 's'), 'at', $1::bigint))
      WHERE j.id = ANY (ARRAY(${pick(s)})) RETURNING j.id`,
    complete: (s) => `UPDATE ${s}.jobs j SET state = 'succeeded', state_at = $2::bigint, server_id = NULL, expire_at = $2::bigint + 86400000,
        history = j.history || jsonb_build_array(jsonb_build_object('name', 'succeeded', 'reason', 'done', 'at', $2::bigint))
      WHERE j.id = ANY ($1::text[]) AND j.state = 'processing'`,
  },
  {
    name: 'separate history table',
    ddl: (s) => `CREATE TABLE ${s}.jobs (${common}); ${indexes(s)}
      CREATE TABLE ${s}.history (job_id text COLLATE "C" NOT NULL, n bigint GENERATED ALWAYS AS IDENTITY, entry jsonb NOT NULL);
      CREATE INDEX ON ${s}.history (job_id, n);`,
    claim: (s) => `WITH u AS (UPDATE ${s}.jobs j SET state = 'processing', state_at = $1::bigint, server_id = 's'
        WHERE j.id = ANY (ARRAY(${pick(s)})) RETURNING j.id),
      h AS (INSERT INTO ${s}.history (job_id, entry)
        SELECT u.id, jsonb_build_object('name', 'processing', 'data', jsonb_build_object('serverId', 's'), 'at', $1::bigint) FROM u)
      SELECT id FROM u`,
    complete: (s) => `WITH u AS (UPDATE ${s}.jobs j SET state = 'succeeded', state_at = $2::bigint, server_id = NULL, expire_at = $2::bigint + 86400000
        WHERE j.id = ANY ($1::text[]) AND j.state = 'processing' RETURNING j.id)
      INSERT INTO ${s}.history (job_id, entry)
        SELECT u.id, jsonb_build_object('name', 'succeeded', 'reason', 'done', 'at', $2::bigint) FROM u`,
  },
];

async function run(client: pg.Client, layout: Layout): Promise<void> {
  const s = `"kiln_hist_${randomBytes(4).toString('hex')}"`;
  await client.query(`CREATE SCHEMA ${s}`);
  try {
    await client.query(layout.ddl(s));
    const hasHistory = layout.name.startsWith('separate');
    await client.query(
      `INSERT INTO ${s}.jobs (id, queue, state, state_at, args${hasHistory ? '' : ', history'})
       SELECT gen_random_uuid()::text, 'default', 'enqueued', 0, '{"n":1}'${hasHistory ? '' : layout.name.startsWith('JSON text') ? `, '{"name":"enqueued","at":0}'` : `, '[{"name":"enqueued","at":0}]'`}
         FROM generate_series(1, ${JOBS})`,
    );
    if (hasHistory) {
      await client.query(`INSERT INTO ${s}.history (job_id, entry) SELECT id, '{"name":"enqueued","at":0}' FROM ${s}.jobs`);
    }
    await client.query(`VACUUM ANALYZE ${s}.jobs`);
    const lsn0 = (await client.query(`SELECT pg_current_wal_lsn() AS l`)).rows[0].l as string;
    const t = performance.now();
    let done = 0;
    for (;;) {
      const now = Date.now();
      const ids = (await client.query({ name: `${s}c`, text: layout.claim(s), values: [now] })).rows.map((r) => r.id);
      if (ids.length === 0) break;
      await client.query({ name: `${s}d`, text: layout.complete(s), values: [ids, now] });
      done += ids.length;
    }
    const ms = performance.now() - t;
    const wal = (await client.query(`SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), $1) AS b`, [lsn0])).rows[0].b;
    console.log(
      `${layout.name.padEnd(26)} ${Math.round((done / ms) * 1000).toLocaleString('en-US')} jobs/s, ` +
        `${Math.round(Number(wal) / done)} WAL bytes/job`,
    );
  } finally {
    await client.query(`DROP SCHEMA ${s} CASCADE`);
  }
}

const client = new pg.Client({ connectionString: url });
await client.connect();
try {
  for (let round = 0; round < 2; round++) for (const layout of layouts) await run(client, layout);
} finally {
  await client.end();
}
