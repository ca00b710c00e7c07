// Job events, waitFor and job logs: hear every job's life from any process sharing the storage,
// wait for one job's result without polling, read what a job logged.
// Run: node --import tsx examples/events.ts
import { BackgroundJobServer, JobClient, JobFailedError, defineJob, silentLogger } from '../src/index.js';
import { SqliteStorage } from '../src/storage/sqlite/index.js';

const importRows = defineJob({
  name: 'import-rows',
  retry: { attempts: 1, delays: [0] }, // one retry, at once
  async run({ rows }: { rows: number }, ctx) {
    ctx.logger.info('importing', { rows, attempt: ctx.attempt }); // kept as the job's log
    ctx.progress(50);
    if (ctx.attempt === 1) throw new Error('database busy'); // the retry succeeds
    return { imported: rows };
  },
});

const sendReport = defineJob({
  name: 'send-report',
  retry: { attempts: 0 },
  run: ({ to }: { to: string }) => {
    throw new Error(`mailbox ${to} is full`);
  },
});

const storage = new SqliteStorage('./kiln.db');
const client = new JobClient({ storage });

// Every event of every job, from every process using ./kiln.db (typed per event).
client.events.on('event', (e) => console.log(`event: ${e.type} (attempt ${e.attempt})`));
client.events.on('failed', (e) => console.log(`  failed with ${e.error.message}; retry follows: ${e.willRetry}`));
await client.events.ready();

const server = new BackgroundJobServer({ storage, jobs: [importRows, sendReport], schedulePollingInterval: '100ms', logger: silentLogger });
await server.start();

const id = await client.enqueue(importRows, { rows: 1600 });
console.log('result:', JSON.stringify(await client.waitFor(id, { timeout: '30s' })));
const job = await client.get(id);
console.log('log:', job?.logs.lines.map((l) => `${l.level} ${l.message}${l.fields ? ` ${JSON.stringify(l.fields)}` : ''}`).join(' | '));

const report = await client.enqueue(sendReport, { to: 'ops@example.com' });
try {
  await client.waitFor(report, { timeout: '30s' });
} catch (e) {
  if (e instanceof JobFailedError) console.log(`report ${e.state}: ${e.error?.message}`);
}

await client.events.close();
await server.dispose();
await storage.close();
