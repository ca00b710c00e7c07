import { maxArgsBytes } from '../../config.js';
import { KilnError } from '../../errors.js';
import type { JobContext } from '../../jobs/context.js';
import type { AnyJobDefinition, JobIsolation } from '../../jobs/define-job.js';
import type { Json } from '../../storage/contract/index.js';
import type { Executor } from './executor.js';
import { ProcessExecutor } from './process-executor.js';
import type { RunRequest } from './protocol.js';
import { ThreadExecutor } from './thread-executor.js';

/** `ServerOptions.isolation`, resolved. */
export interface IsolationSettings {
  /** The most executors of each kind (threads, processes) alive at once. */
  poolSize: number;
  /** Heap limit of each executor, in MiB; undefined for Node's default. */
  memoryLimitMb: number | undefined;
}

/** How long `close()` waits for ended threads and processes to be gone. */
const CLOSE_WAIT_MS = 5_000;

interface Waiter {
  resolve(executor: Executor): void;
  reject(error: unknown): void;
  signal: AbortSignal;
  onAbort(): void;
}

/** The executors of one kind: idle ones to reuse, a count of all, and the jobs waiting for one. */
class Kind {
  constructor(readonly isolation: JobIsolation) {}
  readonly idle: Executor[] = [];
  readonly all = new Set<Executor>();
  readonly waiting: Waiter[] = [];
}

/**
 * The server's pool of executors for isolated jobs (`JobOptions.isolation`): worker threads and
 * child processes, started on first use, each running one job at a time and reused for the next;
 * at most `poolSize` of each kind (a job beyond that waits for one to be free, holding its slot).
 * One that died (a crash, or ended hard on abort) is replaced by a new one when next needed.
 * `close()` ends them all.
 */
export class IsolatedPool {
  private readonly kinds = new Map<JobIsolation, Kind>();
  /** Executors ended but maybe not gone yet: `close()` waits for them. */
  private readonly ending = new Set<Executor>();
  private closed = false;

  constructor(private readonly settings: IsolationSettings) {}

  /**
   * Runs `definition`'s job isolated; settles as `definition.run` would (see `Executor.run`). Its
   * `timeout` is counted from when the job's `run` is called in its executor: waiting for a free
   * one, starting a new one and loading the job's module do not count.
   */
  async run(definition: AnyJobDefinition, args: unknown, ctx: JobContext): Promise<unknown> {
    const kind = this.kind(definition.isolation!);
    const executor = await this.acquire(kind, ctx.signal);
    const request: RunRequest = {
      type: 'run',
      module: definition.module!,
      name: definition.name,
      args,
      context: {
        jobId: ctx.jobId,
        name: ctx.name,
        queue: ctx.queue,
        attempt: ctx.attempt,
        parameters: ctx.parameters as Record<string, Json>,
        parentResult: ctx.parentResult,
        serverId: ctx.serverId,
      },
      maxProgressBytes: maxArgsBytes(),
      reportStart: definition.timeoutMs !== undefined,
    };
    try {
      return await executor.run(request, ctx, definition.timeoutMs);
    } finally {
      this.release(kind, executor);
    }
  }

  /**
   * Ends every executor now and resolves when they are gone (or after `CLOSE_WAIT_MS`). Jobs still
   * running in them fail as crashed; the server has aborted them first.
   */
  async close(): Promise<void> {
    this.closed = true;
    for (const kind of this.kinds.values()) {
      for (const w of kind.waiting.splice(0)) w.reject(new KilnError('the server is shutting down'));
      for (const executor of kind.all) this.retire(executor);
      kind.all.clear();
      kind.idle.length = 0;
    }
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      Promise.all([...this.ending].map((e) => e.exited)),
      new Promise<void>((resolve) => (timer = setTimeout(resolve, CLOSE_WAIT_MS))),
    ]);
    clearTimeout(timer);
  }

  /** Ends an executor, remembering it until it is gone. */
  private retire(executor: Executor): void {
    executor.end();
    this.ending.add(executor);
    void executor.exited.then(() => this.ending.delete(executor));
  }

  private kind(isolation: JobIsolation): Kind {
    let kind = this.kinds.get(isolation);
    if (!kind) {
      kind = new Kind(isolation);
      this.kinds.set(isolation, kind);
    }
    return kind;
  }

  private acquire(kind: Kind, signal: AbortSignal): Promise<Executor> {
    if (signal.aborted) return Promise.reject(signal.reason);
    if (this.closed) return Promise.reject(new KilnError('the server is shutting down'));
    this.prune(kind);
    const idle = kind.idle.pop();
    if (idle) return Promise.resolve(idle);
    if (kind.all.size < this.settings.poolSize) return Promise.resolve(this.start(kind));
    return new Promise((resolve, reject) => {
      const waiter: Waiter = {
        resolve,
        reject,
        signal,
        onAbort: () => {
          kind.waiting.splice(kind.waiting.indexOf(waiter), 1);
          reject(signal.reason);
        },
      };
      signal.addEventListener('abort', waiter.onAbort, { once: true });
      kind.waiting.push(waiter);
    });
  }

  private release(kind: Kind, executor: Executor): void {
    if (!executor.alive || this.closed) {
      kind.all.delete(executor);
      this.retire(executor);
    }
    if (this.closed) return;
    const waiter = kind.waiting.shift();
    if (waiter) {
      waiter.signal.removeEventListener('abort', waiter.onAbort);
      waiter.resolve(executor.alive ? executor : this.start(kind));
    } else if (executor.alive) kind.idle.push(executor);
  }

  /** Forgets executors that died while idle. */
  private prune(kind: Kind): void {
    for (let i = kind.idle.length - 1; i >= 0; i--) {
      const e = kind.idle[i]!;
      if (!e.alive) {
        kind.idle.splice(i, 1);
        kind.all.delete(e);
        this.retire(e);
      }
    }
  }

  private start(kind: Kind): Executor {
    const executor: Executor =
      kind.isolation === 'process' ? new ProcessExecutor(this.settings.memoryLimitMb) : new ThreadExecutor(this.settings.memoryLimitMb);
    kind.all.add(executor);
    return executor;
  }
}
