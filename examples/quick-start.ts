// The quick start in one file that ends: it enqueues jobs of every kind, runs a server in a block
// until they are done (`await using`: TypeScript or Node 24), and stops. Run: node --import tsx examples/quick-start.ts
import { BackgroundJobServer, JobClient, defineJob } from '../src/index.js';
import { z } from 'zod';

const sent: string[] = [];

export const sendEmail = defineJob({
  name: 'send-email',
  queue: 'mail',
  retry: { attempts: 5 },
  schema: z.object({ to: z.string().email() }),
  async run({ to }, ctx) {
    // A real job would call a mail API here, passing ctx.signal so shutdown can interrupt it.
    sent.push(to);
    ctx.logger.info(`sent to ${to} (attempt ${ctx.attempt})`);
  },
});

const client = new JobClient(); // storage: configure({ storage }), else ./kiln.db
const id = await client.enqueue(sendEmail, { to: 'a@example.com' });
await client.schedule(sendEmail, { to: 'b@example.com' }, { delay: '1s' });
await client.continueWith(id, sendEmail, { to: 'c@example.com' });
await client.enqueueMany(sendEmail, [{ to: 'x@example.com' }, { to: 'y@example.com' }]);
await client.recurring.addOrUpdate('nightly', sendEmail, { to: 'ops@example.com' }, { cron: '0 3 * * *', timeZone: 'Europe/Paris' });

{
  await using server = new BackgroundJobServer({ queues: ['critical', 'default', 'mail'] });
  await server.start();
  while (sent.length < 5) await new Promise((r) => setTimeout(r, 50));
} // leaving the block disposes the server gracefully

const [nightly] = await client.recurring.list();
console.log(`sent ${sent.length} emails: ${[...sent].sort().join(', ')}`);
console.log(`next nightly run: ${new Date(nightly!.nextExecution!).toISOString()}`);
