// Recurring (cron) jobs: add or update, list, pause, resume, trigger now, remove.
// Run: node --import tsx examples/recurring.ts
import { JobClient, defineJob } from '../src/index.js';
import { MemoryStorage } from '../src/storage/memory/index.js';

const cleanUp = defineJob({ name: 'clean-up', run: ({ olderThanDays }: { olderThanDays: number }) => olderThanDays });
const client = new JobClient({ storage: new MemoryStorage() });

// 5 fields, or 6 with seconds first; names such as '@daily'; any IANA time zone (default UTC).
await client.recurring.addOrUpdate('nightly-clean-up', cleanUp, { olderThanDays: 30 }, { cron: '0 3 * * *', timeZone: 'Europe/Paris' });
await client.recurring.addOrUpdate('every-10-seconds', cleanUp, { olderThanDays: 1 }, { cron: '*/10 * * * * *', misfire: 'ignorable' });

for (const r of await client.recurring.list()) {
  console.log(`${r.id}: ${r.cron} (${r.timeZone}), next ${new Date(r.nextExecution!).toISOString()}`);
}
await client.recurring.pause('every-10-seconds'); // nothing is enqueued until resume
await client.recurring.resume('every-10-seconds');
const jobId = await client.recurring.trigger('nightly-clean-up'); // run now, outside the schedule
console.log('triggered job', jobId, 'is', (await client.get(jobId))?.state);
await client.recurring.remove('every-10-seconds');
console.log('left:', (await client.recurring.list()).map((r) => r.id).join(', '));
