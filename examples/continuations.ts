// Continuations: a job that runs after another, reading its result; conditions on the parent.
// Run: node --import tsx examples/continuations.ts
import { BackgroundJobServer, JobClient, defineJob, silentLogger } from '../src/index.js';
import { MemoryStorage } from '../src/storage/memory/index.js';

const storage = new MemoryStorage();
const importFile = defineJob({ name: 'import-file', run: ({ path }: { path: string }) => ({ rows: path.length * 100 }) });
const notify = defineJob({
  name: 'notify',
  run: (message: string, ctx) => console.log(`${message}: parent returned ${JSON.stringify(ctx.parentResult)}`),
});

const client = new JobClient({ storage });
const parent = await client.enqueue(importFile, { path: '/data/orders.csv' });
const onSuccess = await client.continueWith(parent, notify, 'import done'); // default: on 'succeeded'
const onDelete = await client.continueWith(parent, notify, 'import cancelled', { on: 'deleted' }); // will be deleted

const server = new BackgroundJobServer({ storage, logger: silentLogger });
await server.start();
while ((await client.get(onSuccess))?.state !== 'succeeded') await new Promise((r) => setTimeout(r, 20));
await server.dispose();
console.log(`the 'on deleted' continuation is ${(await client.get(onDelete))?.state}: ${(await client.get(onDelete))?.stateReason}`);
