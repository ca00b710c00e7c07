// Filters and the built-ins: automatic retry options, a custom filter, disableConcurrentExecution,
// latencyTimeout, execution timeout, unique jobs. Run: node --import tsx examples/filters.ts
import {
  BackgroundJobServer,
  JobClient,
  MemoryStorage,
  configure,
  defineJob,
  disableConcurrentExecution,
  latencyTimeout,
  silentLogger,
  type JobFilter,
} from '../src/index.js';

// A global filter: every job gets a `tenant` parameter at creation.
const tenant: JobFilter = { name: 'tenant', onCreating: (ctx) => void (ctx.parameters['tenant'] = 'acme') };
configure({ filters: [tenant], logger: silentLogger });

const storage = new MemoryStorage();
const charge = defineJob({
  name: 'charge-card',
  retry: { attempts: 3, delays: ['100ms', '200ms'], onAttemptsExceeded: 'delete' },
  timeout: '5s', // aborts ctx.signal and fails the attempt
  filters: [
    disableConcurrentExecution({ key: (args) => (args as { account: string }).account, timeout: '10s' }),
    latencyTimeout('1h'), // a charge that waited an hour is deleted, not made
  ],
  async run({ account, cents }: { account: string; cents: number }, ctx) {
    if (ctx.attempt === 1) throw new Error('card network busy'); // retried after 100 ms
    return `${account} charged ${cents} (tenant ${String(ctx.parameters['tenant'])})`;
  },
});

const client = new JobClient({ storage });
// Unique jobs: a second enqueue with the same key returns the first job's id.
const first = await client.enqueue(charge, { account: 'a-1', cents: 500 }, { uniqueKey: 'charge:order-77' });
const again = await client.enqueue(charge, { account: 'a-1', cents: 500 }, { uniqueKey: 'charge:order-77' });
console.log('same job:', first === again);

const server = new BackgroundJobServer({ storage });
await server.start();
while ((await client.get(first))?.state !== 'succeeded') await new Promise((r) => setTimeout(r, 20));
await server.dispose();
const job = await client.get(first);
console.log('result:', job?.result);
console.log('history:', job?.history.map((h) => h.name).join(' -> '));
