/**
 * BullMQ (Redis) with its documented defaults: a `Worker` with `concurrency`, `Queue.addBulk`
 * for bulk enqueue, `delay` for scheduled jobs. Completed jobs are kept (BullMQ's default
 * `removeOnComplete: false`), as Kiln keeps its succeeded jobs.
 */
import { Queue, Worker, type ConnectionOptions } from 'bullmq';
import { deleteRedisKeys, packageVersion, redisHostPort } from '../services.js';
import type { Handler, Payload, RunningWorker, System, SystemSpec } from '../system.js';

const QUEUE = 'bench';
const NAME = 'noop';

function connection(): ConnectionOptions {
  return { ...redisHostPort(), maxRetriesPerRequest: null };
}

class BullSystem implements System {
  private queue: Queue<Payload> | undefined;

  constructor(private readonly prefix: string) {}

  private get q(): Queue<Payload> {
    this.queue ??= new Queue<Payload>(QUEUE, { connection: connection(), prefix: this.prefix });
    return this.queue;
  }

  async prepare(): Promise<void> {
    await deleteRedisKeys(`${this.prefix}:*`);
    await this.q.waitUntilReady();
  }

  async enqueueBulk(payloads: Payload[]): Promise<void> {
    await this.q.addBulk(payloads.map((data) => ({ name: NAME, data })));
  }

  async enqueueOne(payload: Payload): Promise<void> {
    await this.q.add(NAME, payload);
  }

  async scheduleBulk(payloads: Payload[], at: number): Promise<void> {
    const delay = Math.max(0, at - Date.now());
    await this.q.addBulk(payloads.map((data) => ({ name: NAME, data, opts: { delay } })));
  }

  async startWorker(concurrency: number, handler: Handler): Promise<RunningWorker> {
    const worker = new Worker<Payload>(
      QUEUE,
      async (job) => {
        handler(job.data);
      },
      { connection: connection(), prefix: this.prefix, concurrency },
    );
    worker.on('error', () => {});
    await worker.waitUntilReady();
    return { stop: () => worker.close() };
  }

  async remaining(): Promise<number> {
    const counts = await this.q.getJobCounts('waiting', 'delayed', 'active', 'prioritized', 'waiting-children');
    return Object.values(counts).reduce((a, b) => a + b, 0);
  }

  async close(): Promise<void> {
    await this.queue?.close();
    this.queue = undefined;
  }

  async destroy(): Promise<void> {
    await this.close();
    await deleteRedisKeys(`${this.prefix}:*`);
  }
}

export const bullmq: SystemSpec = {
  id: 'bullmq',
  label: 'BullMQ',
  backend: 'redis',
  kiln: false,
  version: () => packageVersion('bullmq'),
  config: 'Worker({ concurrency }), Queue.addBulk, defaults otherwise (removeOnComplete: false keeps completed jobs), own prefix',
  create: (ns) => new BullSystem(`bbench_${ns}`),
};
