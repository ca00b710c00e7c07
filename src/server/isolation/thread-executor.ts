import type { Worker } from 'node:worker_threads';
import { describeError } from '../../errors.js';
import { siblingModule, startThread } from '../threads/bootstrap.js';
import { Executor } from './executor.js';
import type { FromExecutor, RunRequest } from './protocol.js';

/**
 * An executor in a worker thread of the server's process: cheap to start and to talk to; ended
 * with `worker.terminate()`, which stops even a busy loop. `memoryLimitMb` caps its heap
 * (`resourceLimits.maxOldGenerationSizeMb`); a job that needs more ends the thread, not the process.
 */
export class ThreadExecutor extends Executor {
  readonly kind = 'worker' as const;
  protected readonly noun = 'worker thread';
  private readonly worker: Worker;
  private error: string | undefined;

  constructor(private readonly memoryLimitMb: number | undefined) {
    super();
    this.worker = startThread(siblingModule(import.meta.url, 'runtime'), {
      data: {},
      ...(memoryLimitMb === undefined ? {} : { resourceLimits: { maxOldGenerationSizeMb: memoryLimitMb } }),
    });
    this.worker.on('message', (m: FromExecutor) => this.onMessage(m));
    this.worker.on('error', (e: unknown) => {
      const code = (e as { code?: unknown } | null)?.code;
      const d = describeError(e);
      this.error ??=
        code === 'ERR_WORKER_OUT_OF_MEMORY'
          ? `it ran out of memory (isolation.memoryLimitMb ${this.memoryLimitMb ?? 'not set'}): ${d.message}`
          : `an uncaught ${d.type}: ${d.message}`;
      this.crashed(this.error);
    });
    this.worker.on('exit', (code) => {
      this.crashed(this.error ?? `it exited with code ${code} (process.exit?) before the job ended`);
      this.markExited();
    });
  }

  protected post(request: RunRequest): void {
    this.worker.postMessage(request);
  }

  protected kill(): void {
    void this.worker.terminate();
  }
}
