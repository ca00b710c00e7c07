import { hostname } from 'node:os';
import { randomUUID } from 'node:crypto';
import { systemClock, type Clock } from '../clock.js';
import { defaultLogger, defaultStorage, globalFilters } from '../config.js';
import { KilnError, errorMessage } from '../errors.js';
import type { JobContext } from '../jobs/context.js';
import { registeredJob, type AnyJobDefinition } from '../jobs/define-job.js';
import { childLogger, type Logger } from '../logger.js';
import { automaticRetry } from '../states/automatic-retry.js';
import { orderFilters, type JobFilter } from '../states/filters.js';
import { StateMachine } from '../states/state-machine.js';
import type { ServerRecord, Storage, StorageEvent } from '../storage/contract/index.js';
import { CancellationWatcher } from './cancellation-watcher.js';
import { Completer } from './completer.js';
import { ContinuationDispatcher } from './continuation-dispatcher.js';
import { DelayedScheduler } from './delayed-scheduler.js';
import { RecurringScheduler } from './recurring-scheduler.js';
import { ExpirationManager } from './expiration-manager.js';
import type { PeriodicProcess } from './periodic-process.js';
import { resolveServerOptions, type ResolvedServerOptions, type ServerOptions } from './server-options.js';
import { IsolatedPool } from './isolation/isolated-pool.js';
import { inIsolatedRuntime } from './isolation/isolated-runtime-flag.js';
import { HeartbeatThread } from './threads/heartbeat-thread.js';
import { Watchdog } from './watchdog.js';
import { WorkerPool } from './worker-pool.js';

type Status = 'new' | 'starting' | 'running' | 'stopping' | 'stopped';

/**
 * Runs jobs: workers, the delayed scheduler, the heartbeat, the watchdog, the cancellation
 * watcher and the expiration manager. Run one in the web process, in worker processes, on many
 * machines: they coordinate only through the storage.
 *
 * `dispose()` is graceful, as Hangfire's: it stops fetching at once; after `stopTimeout` (0.5 s)
 * running jobs see `ctx.signal` aborted, and a job that ends by that abort is put back in its
 * queue (not failed, its attempt unchanged); after `shutdownTimeout` (15 s) it stops waiting.
 * Then it writes the last completions and removes its server record, which requeues anything it
 * still holds. Without `dispose()` (a crash), other servers requeue its jobs when its lease or
 * server record expires (30 s by default).
 */
export class BackgroundJobServer implements AsyncDisposable {
  readonly id = randomUUID();
  readonly storage: Storage;
  private readonly options: ResolvedServerOptions;
  private readonly clock: Clock;
  private readonly logger: Logger;
  private readonly states: StateMachine;
  private readonly filters: JobFilter[];
  private readonly pool: WorkerPool;
  private readonly completer: Completer;
  private readonly heartbeat: HeartbeatThread;
  private readonly maintenance: PeriodicProcess[];
  private readonly cancellation: CancellationWatcher;
  private readonly jobsByName: Map<string, AnyJobDefinition> | undefined;
  private readonly isolated: IsolatedPool;
  /** Each isolated job's definition as the runner sees it: its `run` sends the attempt to the pool. */
  private readonly isolatedDefinitions = new WeakMap<AnyJobDefinition, AnyJobDefinition>();
  private readonly name: string;
  private status: Status = 'new';
  private startedAt = 0;
  private unsubscribe: (() => Promise<void>) | undefined;
  private disposing: Promise<void> | undefined;
  private signalHandler: ((signal: NodeJS.Signals) => void) | undefined;

  constructor(options: ServerOptions = {}) {
    this.options = resolveServerOptions(options);
    this.storage = options.storage ?? defaultStorage();
    this.clock = options.clock ?? systemClock;
    this.name = options.name ?? `${hostname()}:${process.pid}`;
    this.logger = childLogger(options.logger ?? defaultLogger(), { server: this.name });
    this.states = new StateMachine(this.storage, this.clock, this.logger, this.options.retention);
    this.isolated = new IsolatedPool(this.options.isolation);
    this.jobsByName = this.options.jobs ? new Map(this.options.jobs.map((j) => [j.name, j])) : undefined;
    const retryPolicyOf = (name: string) => this.resolve(name)?.retry;
    this.filters = orderFilters([automaticRetry((ctx) => retryPolicyOf(ctx.job.name))], globalFilters(), this.options.filters);
    const o = this.options;
    const continuations = new ContinuationDispatcher(this.storage, this.states, o.schedulePollingIntervalMs, this.clock, this.logger);
    this.completer = new Completer(this.states, this.logger, (changes, applied) => {
      if (changes.some((c, i) => applied[i] && (c.to.name === 'succeeded' || c.to.name === 'deleted'))) continuations.process.wake();
    }, undefined, this.clock);
    this.pool = new WorkerPool(
      this.storage,
      {
        serverId: this.id,
        workerCount: o.workerCount,
        prefetch: o.prefetch,
        maxPrefetch: o.maxPrefetch,
        queues: o.queues,
        leaseTimeoutMs: o.leaseTimeoutMs,
        pollIntervalMs: o.pollIntervalMs,
      },
      {
        serverId: this.id,
        storage: this.storage,
        states: this.states,
        clock: this.clock,
        logger: this.logger,
        resolve: (name) => this.resolve(name),
        filters: this.filters,
        maxInterruptions: o.maxInterruptions,
        complete: (change, filters) => this.completer.push(change, filters),
      },
      this.clock,
      this.logger,
      // Backpressure: while the storage lags behind on writing completions, fetch no more.
      () => this.completer.backlog(),
      (jobs) => this.heartbeat.claimed(jobs),
    );
    this.heartbeat = new HeartbeatThread({
      storage: this.storage,
      record: () => this.record(),
      heldIds: () => [...this.pool.heldIds(), ...this.completer.pendingIds()],
      leaseTimeoutMs: o.leaseTimeoutMs,
      heartbeatIntervalMs: o.heartbeatIntervalMs,
      clock: this.clock,
      onLost: (lost) => lost.forEach((id) => this.pool.abort(id, 'taken-away', 'The job lease was lost')),
      logger: this.logger,
      useThread: o.heartbeatThread,
    });
    this.maintenance = [
      new DelayedScheduler(this.storage, o.schedulePollingIntervalMs, this.clock, this.logger).process,
      new RecurringScheduler(this.storage, o.schedulePollingIntervalMs, this.clock, this.logger).process,
      continuations.process,
      new Watchdog(this.storage, o.serverTimeoutMs, o.serverCheckIntervalMs, this.clock, this.logger).process,
      new ExpirationManager(this.storage, this.id, o.expirationCheckIntervalMs, this.clock, this.logger).process,
    ];
    this.cancellation = new CancellationWatcher((id, reason) => this.pool.abort(id, 'taken-away', reason), this.logger);
  }

  /** Starts every process. Resolves once the server is announced and fetching. */
  async start(): Promise<void> {
    if (this.status !== 'new') throw new KilnError(`server cannot start: it is ${this.status}`);
    if (inIsolatedRuntime()) {
      throw new KilnError(
        "a server cannot start inside an isolated job's worker thread or process: the job's module starts one when imported; keep isolated jobs in a module without side effects",
      );
    }
    this.status = 'starting';
    try {
      await this.storage.migrate();
      this.startedAt = this.clock.now();
      await this.storage.announceServer(this.record());
      this.unsubscribe = await this.storage.subscribe((e) => this.onEvent(e));
    } catch (e) {
      this.status = 'stopped';
      await this.unsubscribe?.().catch(() => {});
      throw e;
    }
    this.pool.start();
    this.heartbeat.start();
    for (const p of this.maintenance) p.start();
    if (this.options.handleSignals) this.installSignalHandlers();
    this.status = 'running';
    this.logger.info(`server started: ${this.options.workerCount} workers on queues ${this.options.queues.join(', ')}`);
  }

  /** Graceful shutdown; resolves when done. Calling it again returns the same promise. */
  dispose(): Promise<void> {
    this.disposing ??= this.shutdown();
    return this.disposing;
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.dispose();
  }

  /** Jobs running on this server now. */
  get runningCount(): number {
    return this.pool.size;
  }

  private async shutdown(): Promise<void> {
    if (this.status === 'new' || this.status === 'stopped') {
      this.status = 'stopped';
      return;
    }
    const began = Date.now();
    const o = this.options;
    this.status = 'stopping';
    this.logger.info('server stopping');
    this.removeSignalHandlers();
    const unstarted = await this.pool.stopFetching();
    for (const job of unstarted) {
      const change = this.states.change(
        job.id,
        { state: { name: 'enqueued', reason: 'Server shutting down: claimed but not started, requeued', at: this.clock.now() } },
        { states: ['processing'], serverId: this.id },
      );
      void this.completer.complete(change, this.filters);
    }
    await Promise.all(this.maintenance.map((p) => p.stop()));
    if (!(await this.pool.waitIdle(o.stopTimeoutMs - (Date.now() - began)))) {
      this.pool.abortAll('shutdown', 'The server is shutting down');
      if (!(await this.pool.waitIdle(o.shutdownTimeoutMs - (Date.now() - began)))) {
        this.logger.warn(`${this.pool.size} job(s) still running after shutdownTimeout; they are requeued`);
      }
    }
    await this.isolated.close();
    await this.completer.flush(Date.now() + 5_000);
    await this.heartbeat.stop();
    await this.unsubscribe?.().catch(() => {});
    try {
      await this.storage.removeServer(this.id, this.clock.now());
    } catch (e) {
      this.logger.warn('could not remove the server record; other servers will once it times out', { error: errorMessage(e) });
    }
    this.status = 'stopped';
    this.logger.info(`server stopped in ${Date.now() - began} ms`);
  }

  private onEvent(event: StorageEvent): void {
    if (event.type === 'enqueued') {
      if (event.queue === '*' || this.options.queues.includes(event.queue)) this.pool.wake();
    } else this.cancellation.handle(event);
  }

  private resolve(name: string): AnyJobDefinition | undefined {
    const definition = this.jobsByName ? this.jobsByName.get(name) : registeredJob(name);
    if (definition?.isolation === undefined) return definition;
    let isolated = this.isolatedDefinitions.get(definition);
    if (!isolated) {
      const pool = this.isolated;
      // The pool times the attempt itself, from when it starts in its executor.
      isolated = Object.freeze({ ...definition, timeoutMs: undefined, run: (args: never, ctx: JobContext) => pool.run(definition, args, ctx) });
      this.isolatedDefinitions.set(definition, isolated);
    }
    return isolated;
  }

  private record(): ServerRecord {
    const now = this.clock.now();
    return {
      id: this.id,
      name: this.name,
      workerCount: this.options.workerCount,
      queues: this.options.queues,
      startedAt: this.startedAt || now,
      heartbeatAt: now,
    };
  }

  private installSignalHandlers(): void {
    this.signalHandler = (signal) => {
      this.logger.info(`${signal} received: shutting down gracefully`);
      void this.dispose().finally(() => {
        // Let the signal do what it would have done without us: end the process.
        process.kill(process.pid, signal);
      });
    };
    process.once('SIGINT', this.signalHandler);
    process.once('SIGTERM', this.signalHandler);
  }

  private removeSignalHandlers(): void {
    if (!this.signalHandler) return;
    process.off('SIGINT', this.signalHandler);
    process.off('SIGTERM', this.signalHandler);
    this.signalHandler = undefined;
  }
}
