import type { Worker } from 'node:worker_threads';
import type { Clock } from '../../clock.js';
import { errorMessage } from '../../errors.js';
import type { Logger } from '../../logger.js';
import type { JobRecord, ServerRecord, Storage } from '../../storage/contract/index.js';
import { Heartbeat } from '../heartbeat.js';
import { siblingModule, startThread } from './bootstrap.js';
import type { FromHeartbeatThread, HeartbeatThreadData, ToHeartbeatThread } from './heartbeat-protocol.js';

/** How long `stop()` lets the thread finish its tick and close its storage before terminating it. */
const STOP_GRACE_MS = 2_000;

/** How long `start()` waits for the thread to be ready before the server starts its workers anyway. */
const READY_WAIT_MS = 5_000;

export interface HeartbeatThreadOptions {
  storage: Storage;
  /** The server record to announce again if the server was declared dead. */
  record: () => ServerRecord;
  /** Every job the server holds now: running, claimed and waiting, completed but not yet written. */
  heldIds: () => string[];
  leaseTimeoutMs: number;
  heartbeatIntervalMs: number;
  clock: Clock;
  /** Jobs whose lease was lost: the server aborts them. */
  onLost: (ids: string[]) => void;
  logger: Logger;
  /** False keeps the heartbeat on the main thread (`ServerOptions.heartbeatThread`). */
  useThread: boolean;
}

/**
 * The server's heartbeat and lease renewal, in a worker thread with its own storage connection
 * when the storage can describe one (`Storage.describe()`), so that a job blocking the main event
 * loop for minutes keeps its lease and its server stays alive, as a Hangfire thread would.
 *
 * What the thread renews is exactly what the server holds: before each renewal it asks the main
 * thread for its set (running, claimed-but-waiting, completions not yet written); claims are
 * sent to it as they arrive (`claimed`), so a job that blocks right after its batch was claimed
 * is renewed too. Leases the thread finds lost come back to `onLost`.
 *
 * The main thread runs the same `Heartbeat` until the thread reports it is ready, and again if
 * the thread fails or exits, so there is never a gap; with a storage that cannot be described
 * (memory, an application's own `pg.Pool` or ioredis client) it is the only one, and a debug line
 * says so. The thread is `unref()`ed and ended by `stop()` (the server's `dispose()`): it never
 * keeps the process alive or outlives its server.
 */
export class HeartbeatThread {
  private readonly main: Heartbeat;
  private worker: Worker | undefined;
  private ready = false;
  private stopping = false;
  private mainRunning = false;
  private threadBeatAt: number | null = null;
  /** Resolves what `start()` returned, once the thread is ready or gone. */
  private onSettled: (() => void) | undefined;

  constructor(private readonly options: HeartbeatThreadOptions) {
    const o = options;
    this.main = new Heartbeat(o.storage, o.record, o.heldIds, o.leaseTimeoutMs, o.heartbeatIntervalMs, o.clock, o.onLost, o.logger);
  }

  /**
   * Starts the heartbeat on the main thread and, when it can, the thread. Resolves once the
   * thread reports it is ready (about 0.1 s from the compiled package), fails, or
   * `READY_WAIT_MS` (5 s) pass: the server starts its workers after that, so that a job blocking
   * the event loop from its first instant is already covered by the thread.
   */
  start(): Promise<void> {
    this.startMain();
    if (!this.options.useThread) return Promise.resolve();
    const storage = this.options.storage.describe?.();
    if (storage === undefined) {
      this.options.logger.debug('the heartbeat runs on the main thread: this storage cannot be opened from another thread (memory, or built from an existing pool or client)');
      return Promise.resolve();
    }
    const o = this.options;
    const data: HeartbeatThreadData = {
      storage,
      record: o.record(),
      leaseTimeoutMs: o.leaseTimeoutMs,
      heartbeatIntervalMs: o.heartbeatIntervalMs,
      answerWaitMs: Math.max(20, Math.min(1_000, Math.floor(o.heartbeatIntervalMs / 4))),
      offsetMs: o.clock.now() - Date.now(),
    };
    let worker: Worker;
    try {
      worker = startThread(siblingModule(import.meta.url, 'heartbeat-worker'), { data: data as unknown as Record<string, unknown> });
    } catch (e) {
      o.logger.warn('could not start the heartbeat thread; the heartbeat runs on the main thread', { error: errorMessage(e) });
      return Promise.resolve();
    }
    this.worker = worker;
    const settled = new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, READY_WAIT_MS);
      timer.unref();
      this.onSettled = () => {
        clearTimeout(timer);
        this.onSettled = undefined;
        resolve();
      };
    });
    worker.on('message', (m: FromHeartbeatThread) => this.onMessage(m));
    worker.on('error', (e) => {
      this.onSettled?.();
      if (!this.stopping) o.logger.warn('the heartbeat thread failed; the heartbeat runs on the main thread', { error: errorMessage(e) });
    });
    worker.on('exit', () => {
      this.onSettled?.();
      this.worker = undefined;
      this.ready = false;
      if (!this.stopping) this.startMain();
    });
    return settled;
  }

  /** When a beat last reached the storage, from either thread, epoch ms; null before the first. */
  get lastBeatAt(): number | null {
    const main = this.main.lastBeatAt;
    if (main === null) return this.threadBeatAt;
    return this.threadBeatAt === null ? main : Math.max(main, this.threadBeatAt);
  }

  /** Jobs just claimed: the thread renews them from now on. */
  claimed(jobs: readonly JobRecord[]): void {
    if (this.worker === undefined || jobs.length === 0) return;
    this.post({ type: 'claimed', ids: jobs.map((j) => j.id) });
  }

  /** Stops the heartbeat, on whichever thread it runs; resolves when the thread has ended. */
  async stop(): Promise<void> {
    this.stopping = true;
    const worker = this.worker;
    const exited = worker ? new Promise<void>((resolve) => worker.once('exit', () => resolve())) : undefined;
    if (worker) this.post({ type: 'stop' });
    await this.main.process.stop();
    if (!worker || !exited) return;
    // Still starting: it has nothing to finish.
    if (!this.ready) return void (await worker.terminate());
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(true), STOP_GRACE_MS)));
    if (await Promise.race([exited.then(() => false), late])) await worker.terminate();
    clearTimeout(timer);
  }

  private onMessage(message: FromHeartbeatThread): void {
    switch (message.type) {
      case 'ready':
        this.ready = true;
        this.onSettled?.();
        this.mainRunning = false;
        void this.main.process.stop();
        this.options.logger.debug('the heartbeat runs in its own thread');
        break;
      case 'held?':
        this.post({ type: 'held', ids: this.options.heldIds(), offsetMs: this.options.clock.now() - Date.now() });
        break;
      case 'beat':
        this.threadBeatAt = message.at;
        break;
      case 'lost':
        this.options.onLost(message.ids);
        break;
      case 'log':
        this.options.logger[message.level](`heartbeat thread: ${message.message}`, message.details);
        break;
    }
  }

  private startMain(): void {
    if (this.mainRunning || this.stopping) return;
    this.mainRunning = true;
    this.main.process.start();
  }

  private post(message: ToHeartbeatThread): void {
    try {
      this.worker?.postMessage(message);
    } catch (e) {
      this.options.logger.warn('could not reach the heartbeat thread', { error: errorMessage(e) });
    }
  }
}
