/** The messages between the server (main thread) and its heartbeat thread. */
import type { ServerRecord, StorageDescriptor } from '../../storage/contract/index.js';

/** What the heartbeat thread is started with (its `workerData`). */
export interface HeartbeatThreadData {
  storage: StorageDescriptor;
  record: ServerRecord;
  leaseTimeoutMs: number;
  heartbeatIntervalMs: number;
  /** How long a tick waits for the main thread to say what it holds before renewing what it last said. */
  answerWaitMs: number;
  /** The server clock's offset from this host's: `clock.now() - Date.now()`. */
  offsetMs: number;
}

export type ToHeartbeatThread =
  /** Every job the server holds now (the answer to `held?`), and its clock's offset. */
  | { type: 'held'; ids: string[]; offsetMs: number }
  /** Jobs just claimed: renewed from now on, even if the main thread answers nothing more. */
  | { type: 'claimed'; ids: string[] }
  | { type: 'stop' };

export type FromHeartbeatThread =
  /** The thread's storage is open and its heartbeat runs: the main thread's may stop. */
  | { type: 'ready' }
  /** What do you hold? (before each renewal) */
  | { type: 'held?' }
  /** A beat reached the storage at `at` (for `server.health()`). */
  | { type: 'beat'; at: number }
  /** Jobs whose lease this server no longer holds: abort them. */
  | { type: 'lost'; ids: string[] }
  | { type: 'log'; level: 'debug' | 'info' | 'warn' | 'error'; message: string; details?: Record<string, unknown> };
