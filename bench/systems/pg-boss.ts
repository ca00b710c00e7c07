/**
 * pg-boss (Postgres) with its documented options. pg-boss 10 has no per-job concurrency setting:
 * `work()` fetches `batchSize` jobs per poll and hands them to the handler as one array, so
 * concurrency N is `batchSize: N` with the jobs of a batch run concurrently. Its worker loop waits
 * out the polling interval after every fetch, even a full one (src/worker.js), so the drain rate
 * is bounded by `batchSize / pollingInterval`; the benchmark uses the documented minimum interval
 * (0.5 s; default 2 s) to give it its best case. Completed jobs are kept (archived after 12 h).
 */
import PgBoss from 'pg-boss';
import { PG_URL, dropSchema, packageVersion } from '../services.js';
import type { Handler, Payload, RunningWorker, System, SystemSpec } from '../system.js';

const QUEUE = 'noop';
export const PGBOSS_POLL_SECONDS = 0.5;

class PgBossSystem implements System {
  private boss: PgBoss | undefined;

  constructor(private readonly schema: string) {}

  private async b(): Promise<PgBoss> {
    if (!this.boss) {
      const boss = new PgBoss({ connectionString: PG_URL, schema: this.schema });
      boss.on('error', () => {});
      await boss.start();
      this.boss = boss;
    }
    return this.boss;
  }

  async prepare(): Promise<void> {
    await dropSchema(this.schema);
    await (await this.b()).createQueue(QUEUE);
  }

  async enqueueBulk(payloads: Payload[]): Promise<void> {
    await (await this.b()).insert(payloads.map((data) => ({ name: QUEUE, data })));
  }

  async enqueueOne(payload: Payload): Promise<void> {
    await (await this.b()).send(QUEUE, payload);
  }

  async scheduleBulk(payloads: Payload[], at: number): Promise<void> {
    const startAfter = new Date(at);
    await (await this.b()).insert(payloads.map((data) => ({ name: QUEUE, data, startAfter })));
  }

  async startWorker(concurrency: number, handler: Handler): Promise<RunningWorker> {
    const boss = await this.b();
    await boss.work<Payload>(QUEUE, { batchSize: concurrency, pollingIntervalSeconds: PGBOSS_POLL_SECONDS }, async (jobs) => {
      await Promise.all(jobs.map(async (job) => handler(job.data)));
    });
    return { stop: () => boss.offWork(QUEUE) };
  }

  async remaining(): Promise<number> {
    return (await this.b()).getQueueSize(QUEUE, { before: 'completed' });
  }

  async close(): Promise<void> {
    const boss = this.boss;
    this.boss = undefined;
    await boss?.stop({ graceful: true, wait: true, timeout: 5000 });
  }

  async destroy(): Promise<void> {
    await this.close();
    await dropSchema(this.schema);
  }
}

export const pgBoss: SystemSpec = {
  id: 'pg-boss',
  label: 'pg-boss',
  backend: 'postgres',
  kiln: false,
  slow: true,
  version: () => packageVersion('pg-boss'),
  config: `work({ batchSize: concurrency, pollingIntervalSeconds: ${PGBOSS_POLL_SECONDS} }) (documented minimum; default 2), insert() for bulk, own schema, defaults otherwise`,
  create: (ns) => new PgBossSystem(`pgbbench_${ns}`),
};
