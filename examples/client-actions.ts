// Everything the client does to existing jobs: get, delete, requeue, reschedule, conditions.
// Run: node --import tsx examples/client-actions.ts
import { JobClient, defineJob } from '../src/index.js';
import { MemoryStorage } from '../src/storage/memory/index.js';

const exportCsv = defineJob({ name: 'export-csv', run: ({ table }: { table: string }) => `${table}.csv` });
const client = new JobClient({ storage: new MemoryStorage() });

const id = await client.schedule(exportCsv, { table: 'orders' }, { at: new Date(Date.now() + 3_600_000) });
console.log('state:', (await client.get(id))?.state); // scheduled

// Only if it is still scheduled (Hangfire's fromState): enqueue it now.
console.log('requeued:', await client.requeue(id, { fromState: 'scheduled' })); // true
console.log('requeued again from scheduled:', await client.requeue(id, { fromState: 'scheduled' })); // false: it is enqueued

console.log('rescheduled:', await client.reschedule(id, { delay: '30m' })); // true
console.log('deleted:', await client.delete(id)); // true; a running job's ctx.signal would abort

const job = await client.get(id);
console.log('history:', job?.history.map((h) => `${h.name} (${h.reason})`).join(' -> '));
