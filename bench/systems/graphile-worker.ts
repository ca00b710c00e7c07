/**
 * graphile-worker (Postgres) twice: with its defaults, and with the batching options its docs
 * recommend for throughput (`localQueue: { size: 500 }`, `completeJobBatchDelay: 0`, given in the
 * 0.17 preset as `worker.localQueue` / `worker.completeJobBatchDelay`). Completed jobs are deleted
 * (graphile-worker keeps no history). Its per-job `info` log line goes to a silent logger, as
 * every system here logs nothing.
 */
import { Logger, makeWorkerUtils, run, type WorkerUtils } from 'graphile-worker';
import { PG_URL, dropSchema, packageVersion, pgQuery } from '../services.js';
import type { Handler, Payload, RunningWorker, System, SystemSpec } from '../system.js';

const TASK = 'noop';
const silent = new Logger(() => () => {});

class GraphileSystem implements System {
  private utils: WorkerUtils | undefined;

  constructor(
    private readonly schema: string,
    private readonly batching: boolean,
  ) {}

  private async u(): Promise<WorkerUtils> {
    this.utils ??= await makeWorkerUtils({ connectionString: PG_URL, schema: this.schema, logger: silent });
    return this.utils;
  }

  async prepare(): Promise<void> {
    await dropSchema(this.schema);
    await (await this.u()).migrate();
  }

  async enqueueBulk(payloads: Payload[]): Promise<void> {
    await (await this.u()).addJobs(payloads.map((payload) => ({ identifier: TASK, payload })));
  }

  async enqueueOne(payload: Payload): Promise<void> {
    await (await this.u()).addJob(TASK, payload);
  }

  async scheduleBulk(payloads: Payload[], at: number): Promise<void> {
    const runAt = new Date(at);
    await (await this.u()).addJobs(payloads.map((payload) => ({ identifier: TASK, payload, runAt })));
  }

  async startWorker(concurrency: number, handler: Handler): Promise<RunningWorker> {
    const runner = await run({
      connectionString: PG_URL,
      schema: this.schema,
      concurrency,
      noHandleSignals: true,
      logger: silent,
      taskList: {
        [TASK]: async (payload) => {
          handler(payload as Payload);
        },
      },
      ...(this.batching ? { preset: { worker: { localQueue: { size: 500 }, completeJobBatchDelay: 0 } } } : {}),
    });
    return { stop: () => runner.stop() };
  }

  async remaining(): Promise<number> {
    const r = await pgQuery(`SELECT count(*)::int AS n FROM ${this.schema}._private_jobs`);
    return (r.rows[0] as { n: number }).n;
  }

  async close(): Promise<void> {
    await this.utils?.release();
    this.utils = undefined;
  }

  async destroy(): Promise<void> {
    await this.close();
    await dropSchema(this.schema);
  }
}

export const graphileWorker: SystemSpec = {
  id: 'graphile',
  label: 'graphile',
  backend: 'postgres',
  kiln: false,
  version: () => packageVersion('graphile-worker'),
  config: 'run({ concurrency }), defaults otherwise (pool 10, no local queue, no completion batching), addJobs for bulk, own schema',
  create: (ns) => new GraphileSystem(`gwbench_${ns}`, false),
};

export const graphileWorkerBatched: SystemSpec = {
  id: 'graphile-batched',
  label: 'graphile+batch',
  backend: 'postgres',
  kiln: false,
  version: () => packageVersion('graphile-worker'),
  config: 'as graphile, plus preset.worker.localQueue = { size: 500 } and completeJobBatchDelay = 0',
  create: (ns) => new GraphileSystem(`gwbbench_${ns}`, true),
};
