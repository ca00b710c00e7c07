import { hostname } from 'node:os';
import { randomUUID } from 'node:crypto';
import { systemClock, type Clock } from '../clock.js';
import { correctedClock, sharedOffset, type ClockOffset } from '../clock-offset.js';
import { defaultLogger, defaultStorage, globalFilters } from '../config.js';
import { KilnError, errorMessage } from '../errors.js';
import { registeredJobs, type AnyJobDefinition } from '../jobs/define-job.js';
import { childLogger, type Logger } from '../logger.js';
import { automaticRetry } from '../states/automatic-retry.js';
import { orderFilters, type JobFilter } from '../states/filters.js';
import { StateMachine } from '../states/state-machine.js';
import type { LivenessHold, ServerRecord, Storage, StorageEvent } from '../storage/contract/index.js';
import { tracingObserver } from '../tracing/consumer.js';
import { CancellationWatcher } from './cancellation-watcher.js';
import { ClockSync } from './clock-sync.js';
import { Completer } from './completer.js';
import { ContinuationDispatcher } from './continuation-dispatcher.js';
import { DelayedScheduler } from './delayed-scheduler.js';
import { RecurringScheduler } from './recurring-scheduler.js';
import { ExpirationManager } from './expiration-manager.js';
import { checkStorage, healthTimeout, type HealthCheckOptions, type ServerHealth, type ServerStatus } from './health.js';
import { JobLogWriter } from './job-log-writer.js';
import { JobResolver } from './job-resolver.js';
import type { PeriodicProcess } from './periodic-process.js';
import { observeRuns, type ObservedServer, type RunObserver } from './run-observer.js';
import { resolveServerOptions, type ResolvedServerOptions, type ServerOptions } from './server-options.js';
import { IsolatedPool } from './isolation/isolated-pool.js';
import { inIsolatedRuntime } from './isolation/isolated-runtime-flag.js';
import { SignalHandlers } from './signal-handlers.js';
import { HeartbeatThread } from './threads/heartbeat-thread.js';
import { Watchdog } from './watchdog.js';
import { WorkerPool } from './worker-pool.js';

/**
 * Runs jobs: workers, the delayed scheduler, the heartbeat, the watchdog, the cancellation
 * watcher and the expiration manager. Run one in the web process, in worker processes, on many
 * machines: they coordinate only through the storage.
 *
 * `dispose()` is graceful, as Hangfire's: it stops fetching at once; after `stopTimeout` (0.5 s)
 * running jobs see `ctx.signal` aborted, and a job that ends by that abort is put back in its
 * queue (not failed, its attempt unchanged); after `shutdownTimeout` (15 s) it stops waiting.
 * Then it writes the last completions and removes its server record, which requeues anything it
 * still holds, and lets go of its liveness mark.
 *
 * Without `dispose()` (a crash), other servers find it gone by its liveness mark — which the
 * storage releases the instant its process dies — within `livenessCheckInterval` (1 s) and
 * requeue its jobs at once; where a mark cannot see the failure (a frozen VM, a partition), they
 * do when its server record or its leases expire (30 s by default).
 *
 * On Postgres and Redis the server's clock is corrected by its measured offset to the storage's
 * (`clockCorrection`), so servers on hosts whose clocks disagree still agree on time.
 */
export class BackgroundJobServer implements AsyncDisposable, ObservedServer {
  readonly id = randomUUID();
  readonly storage: Storage;
  /** The server's name for people (dashboard, logs, metrics): `ServerOptions.name`, default `host:pid`. */
  readonly name: string;
  private readonly options: ResolvedServerOptions;
  private readonly clock: Clock;
  private readonly logger: Logger;
  private readonly states: StateMachine;
  private readonly filters: JobFilter[];
  private readonly pool: WorkerPool;
  private readonly completer: Completer;
  private readonly logs: JobLogWriter | undefined;
  private readonly heartbeat: HeartbeatThread;
  private readonly clockOffset: ClockOffset | undefined;
  private readonly clockSync: ClockSync | undefined;
  private readonly maintenance: PeriodicProcess[];
  private readonly cancellation: CancellationWatcher;
  private readonly jobs: JobResolver;
  /** Metrics, tracing and the application's observers: told of the server's start and stop. */
  private readonly observers: RunObserver[];
  private readonly isolated: IsolatedPool;
  private stage: ServerStatus = 'new';
  private startedAt = 0;
  /** This server's liveness mark, from `start()` on; null when the storage has none. */
  private liveness: LivenessHold | null | undefined;
  private unsubscribe: (() => Promise<void>) | undefined;
  private disposing: Promise<void> | undefined;
  private readonly signals: SignalHandlers;

  constructor(options: ServerOptions = {}) {
    this.options = resolveServerOptions(options);
    this.storage = options.storage ?? defaultStorage();
    this.name = options.name ?? `${hostname()}:${process.pid}`;
    this.logger = childLogger(options.logger ?? defaultLogger(), { server: this.name });
    const base = options.clock ?? systemClock;
    this.clockOffset = this.options.clockCorrection ? sharedOffset(this.storage, base) : undefined;
    this.clock = this.clockOffset ? correctedClock(base, this.clockOffset) : base;
    this.clockSync = this.clockOffset && new ClockSync(this.storage, base, this.clockOffset, this.options.heartbeatIntervalMs, this.logger);
    this.states = new StateMachine(this.storage, this.clock, this.logger, this.options.retention);
    this.isolated = new IsolatedPool(this.options.isolation);
    this.jobs = new JobResolver(this.options.jobs, this.isolated);
    this.signals = new SignalHandlers(() => this.dispose(), this.logger);
    const retryPolicyOf = (name: string) => this.resolve(name)?.retry;
    this.filters = orderFilters([automaticRetry((ctx) => retryPolicyOf(ctx.job.name))], globalFilters(), this.options.filters);
    const o = this.options;
    this.observers = [...(o.tracing ? [tracingObserver] : []), ...o.observers];
    const continuations = new ContinuationDispatcher(this.storage, this.states, o.schedulePollingIntervalMs, this.clock, this.logger);
    const logs = o.jobLogLines > 0 ? new JobLogWriter(this.storage, o.jobLogLines, this.logger, this.clock) : undefined;
    this.logs = logs;
    this.completer = new Completer(
      this.states,
      this.logger,
      (changes, applied) => {
        if (changes.some((c, i) => applied[i] && (c.to.name === 'succeeded' || c.to.name === 'deleted'))) continuations.process.wake();
      },
      undefined,
      this.clock,
      () => logs?.flushPending(),
    );
    this.pool = new WorkerPool(
      this.storage,
      {
        serverId: this.id,
        workerCount: o.workerCount,
        prefetch: o.prefetch,
        maxPrefetch: o.maxPrefetch,
        queues: o.queues,
        queueWeights: o.queueWeights,
        leaseTimeoutMs: o.leaseTimeoutMs,
        pollIntervalMs: o.pollIntervalMs,
        rateLimited: (o.jobs ?? registeredJobs()).some((j) => j.rateLimit !== undefined),
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
        logs: this.logs,
        complete: (change, filters) => this.completer.push(change, filters),
        observe: observeRuns(this.observers, this, this.logger),
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
    const watchdog = new Watchdog(
      this.storage,
      { serverId: this.id, serverTimeoutMs: o.serverTimeoutMs, serverCheckIntervalMs: o.serverCheckIntervalMs, livenessCheckIntervalMs: o.livenessCheckIntervalMs },
      () => this.liveness,
      this.clock,
      this.logger,
    );
    this.maintenance = [
      new DelayedScheduler(this.storage, o.schedulePollingIntervalMs, this.clock, this.logger).process,
      new RecurringScheduler(this.storage, o.schedulePollingIntervalMs, this.clock, this.logger, (name) => this.resolve(name)).process,
      continuations.process,
      watchdog.liveness,
      watchdog.process,
      new ExpirationManager(this.storage, this.id, o.expirationCheckIntervalMs, this.clock, this.logger).process,
    ];
    this.cancellation = new CancellationWatcher((id, reason) => this.pool.abort(id, 'taken-away', reason), this.logger);
  }

  /** Starts every process. Resolves once the server is announced and fetching. */
  async start(): Promise<void> {
    if (this.stage !== 'new') throw new KilnError(`server cannot start: it is ${this.stage}`);
    if (inIsolatedRuntime()) {
      throw new KilnError(
        "a server cannot start inside an isolated job's worker thread or process: the job's module starts one when imported; keep isolated jobs in a module without side effects",
      );
    }
    this.stage = 'starting';
    try {
      await this.storage.migrate();
      // On corrected time before anything is stamped: the record, leases, due times.
      await this.clockSync?.initial();
      this.startedAt = this.clock.now();
      await this.storage.announceServer(this.record());
      this.liveness = await this.storage.holdLiveness(this.id);
      if (!this.liveness) this.logger.debug('the storage holds no liveness mark here: if this process dies, its jobs wait for serverTimeout');
      this.unsubscribe = await this.storage.subscribe((e) => this.onEvent(e));
    } catch (e) {
      this.stage = 'stopped';
      await this.unsubscribe?.().catch(() => {});
      await this.liveness?.release().catch(() => {});
      throw e;
    }
    // The heartbeat thread first: a job that blocks the event loop from its first instant keeps its lease.
    await this.heartbeat.start();
    // Disposed while the thread was starting: the shutdown has already stopped everything.
    if (this.disposing) return;
    this.pool.start();
    this.clockSync?.start();
    for (const p of this.maintenance) p.start();
    if (this.options.handleSignals) this.signals.install();
    this.stage = 'running';
    this.tellObservers('serverStarted');
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

  /**
   * Milliseconds added to this server's clock to read the storage's (positive: this host is
   * behind), as last measured; null when no correction is made (a storage without a clock of its
   * own, `clockCorrection: false`, or not started).
   */
  get clockOffsetMs(): number | null {
    return this.clockOffset?.measured ? this.clockOffset.ms : null;
  }

  /** Where the server is in its life: `new`, `starting`, `running`, `stopping`, `stopped`. */
  get status(): ServerStatus {
    return this.stage;
  }

  /** Starting or running: what a liveness probe asks (see `health()`). */
  get live(): boolean {
    return this.stage === 'starting' || this.stage === 'running';
  }

  /** Jobs running on this server now. */
  get runningCount(): number {
    return this.pool.size;
  }

  /** Concurrent job slots (`ServerOptions.workerCount`). */
  get workerCount(): number {
    return this.options.workerCount;
  }

  /** The queues this server takes jobs from, in priority order. */
  get queues(): readonly string[] {
    return this.options.queues;
  }

  /**
   * How this server is doing, for health endpoints and Kubernetes probes: `live` (starting or
   * running: a liveness probe), `ready` (running and the storage answered within `timeoutMs`,
   * default 1 s: a readiness probe), and the details (last heartbeat, running jobs, the storage's
   * latency or error). Never throws for a storage failure: that is `storage.reachable: false`.
   * `serveHealth()` serves it over HTTP; docs/observability.md says which probe reads what.
   */
  async health(options: HealthCheckOptions = {}): Promise<ServerHealth> {
    const storage = await checkStorage(this.storage, healthTimeout(options));
    return {
      live: this.live,
      ready: this.stage === 'running' && storage.reachable,
      status: this.stage,
      serverId: this.id,
      name: this.name,
      storage,
      startedAt: this.startedAt || null,
      lastHeartbeatAt: this.heartbeat.lastBeatAt,
      runningJobs: this.pool.size,
      workerCount: this.options.workerCount,
      queues: [...this.options.queues],
    };
  }

  private async shutdown(): Promise<void> {
    if (this.stage === 'new' || this.stage === 'stopped') {
      this.stage = 'stopped';
      return;
    }
    const began = Date.now();
    const o = this.options;
    this.stage = 'stopping';
    this.logger.info('server stopping');
    this.signals.remove();
    this.completer.requeueUnstarted(await this.pool.stopFetching(), this.id, this.filters);
    await Promise.all(this.maintenance.map((p) => p.stop()));
    if (!(await this.pool.waitIdle(o.stopTimeoutMs - (Date.now() - began)))) {
      this.pool.abortAll('shutdown', 'The server is shutting down');
      if (!(await this.pool.waitIdle(o.shutdownTimeoutMs - (Date.now() - began)))) {
        this.logger.warn(`${this.pool.size} job(s) still running after shutdownTimeout; they are requeued`);
      }
    }
    await this.isolated.close();
    await this.completer.flush(Date.now() + 5_000);
    await this.logs?.flush();
    await this.heartbeat.stop();
    await this.clockSync?.process.stop();
    await this.unsubscribe?.().catch(() => {});
    try {
      await this.storage.removeServer(this.id, this.clock.now());
    } catch (e) {
      this.logger.warn('could not remove the server record; other servers will once it times out', { error: errorMessage(e) });
    }
    try {
      await this.liveness?.release();
    } catch (e) {
      this.logger.warn('could not release the liveness mark; other servers will find this process gone once it exits', { error: errorMessage(e) });
    }
    this.stage = 'stopped';
    this.tellObservers('serverStopped');
    this.logger.info(`server stopped in ${Date.now() - began} ms`);
  }

  private tellObservers(event: 'serverStarted' | 'serverStopped'): void {
    for (const o of this.observers) {
      try {
        o[event]?.(this);
      } catch (e) {
        this.logger.error(`a run observer threw in ${event}; ignored`, { error: errorMessage(e) });
      }
    }
  }

  private onEvent(event: StorageEvent): void {
    if (event.type === 'enqueued') {
      if (event.queue === '*' || this.options.queues.includes(event.queue)) this.pool.wake();
    } else this.cancellation.handle(event);
  }

  private resolve(name: string): AnyJobDefinition | undefined {
    return this.jobs.resolve(name);
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
}
