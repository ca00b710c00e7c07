// Transactional enqueue with Postgres: the job is written in the application's own transaction,
// so it exists if and only if the order it belongs to was committed. No receipt for an order that
// rolled back, no order without its receipt job.
// Run: KILN_TEST_PG_URL=postgres://... node --import tsx examples/postgres-transaction.ts
import pg from 'pg';
import { BackgroundJobServer, JobClient, defineJob, silentLogger } from '../src/index.js';
import { PostgresStorage } from '../src/storage/postgres/index.js';

const url = process.env.KILN_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
// Kiln keeps its tables in a schema of their own; this example uses throw-away names and drops them.
const kilnSchema = `kiln_example_${process.pid}`;
const appSchema = `shop_example_${process.pid}`;

const receipts: number[] = [];
const sendReceipt = defineJob({
  name: 'send-receipt',
  async run({ orderId }: { orderId: number }) {
    receipts.push(orderId); // a real job would send an email here
  },
});

// One pool for the application and Kiln: Kiln uses it, and leaves ending it to the application.
const pool = new pg.Pool({ connectionString: url });
const storage = new PostgresStorage({ pool }, { schema: kilnSchema });
const client = new JobClient({ storage });
await pool.query(`CREATE SCHEMA ${appSchema}; CREATE TABLE ${appSchema}.orders (id serial PRIMARY KEY, item text NOT NULL)`);

/** Inserts an order and enqueues its receipt in one transaction; `declined` rolls both back. */
async function placeOrder(item: string, declined: boolean): Promise<{ orderId: number; jobId: string }> {
  const tx = await pool.connect();
  try {
    await tx.query('BEGIN');
    const { rows } = await tx.query<{ id: number }>(`INSERT INTO ${appSchema}.orders (item) VALUES ($1) RETURNING id`, [item]);
    const orderId = rows[0]!.id;
    const jobId = await client.enqueue(sendReceipt, { orderId }, { tx }); // same connection, same transaction
    if (declined) throw Object.assign(new Error('payment declined'), { orderId, jobId });
    await tx.query('COMMIT');
    return { orderId, jobId };
  } catch (e) {
    await tx.query('ROLLBACK');
    throw e;
  } finally {
    tx.release();
  }
}

try {
  const kept = await placeOrder('teapot', false);
  console.log(`committed order ${kept.orderId}: job ${kept.jobId} is ${(await client.get(kept.jobId))?.state}`);
  try {
    await placeOrder('kettle', true);
  } catch (e) {
    const { orderId, jobId } = e as { orderId: number; jobId: string };
    const exists = (await pool.query(`SELECT 1 FROM ${appSchema}.orders WHERE id = $1`, [orderId])).rowCount === 1;
    console.log(`rolled back order ${orderId} (${(e as Error).message}): order exists: ${exists}, job ${jobId} exists: ${(await client.get(jobId)) !== null}`);
  }

  await using server = new BackgroundJobServer({ storage, jobs: [sendReceipt], logger: silentLogger });
  await server.start();
  while (receipts.length < 1) await new Promise((r) => setTimeout(r, 20));
  console.log(`receipts sent for orders: ${receipts.join(', ')}`);
} finally {
  await storage.close();
  await pool.query(`DROP SCHEMA IF EXISTS ${kilnSchema} CASCADE; DROP SCHEMA IF EXISTS ${appSchema} CASCADE`);
  await pool.end();
}
