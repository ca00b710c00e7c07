/**
 * The messages between the server and an isolated job's worker thread or child process, and how
 * a thrown value crosses between them. One job runs in an executor at a time.
 */
import { describeError } from '../../errors.js';
import { NonRetryableError } from '../../states/automatic-retry.js';
import type { Json } from '../../storage/contract/index.js';

/** What the job's `ctx` holds, as plain data. */
export interface IsolatedContextData {
  jobId: string;
  name: string;
  queue: string;
  attempt: number;
  parameters: Record<string, Json>;
  parentResult: Json | undefined;
  serverId: string;
}

export interface RunRequest {
  type: 'run';
  /** The `file:` URL of the module that exports the job. */
  module: string;
  name: string;
  args: unknown;
  context: IsolatedContextData;
  /** The largest progress value, in bytes of JSON (`maxArgsBytes` of the server's process). */
  maxProgressBytes: number;
  /** Send `started` when `run` is called (the job has a timeout to start); one message less otherwise. */
  reportStart: boolean;
}

/** What an executor sends back: `ready` once, then for each run any progress and logs and one end. */
export type FromExecutor =
  | { type: 'ready' }
  /** The job's module is loaded and its `run` called now: its timeout counts from here. */
  | { type: 'started' }
  | { type: 'progress'; value: Json }
  | { type: 'log'; level: 'debug' | 'info' | 'warn' | 'error'; message: string; details?: Record<string, unknown> }
  | { type: 'done'; result: string }
  /** `retire`: this executor should not be used again (its module failed to load). */
  | { type: 'failed'; thrown: Thrown; retire?: boolean }
  /** A child process's uncaught error, just before it exits. */
  | { type: 'crash'; thrown: Thrown };

/** A thrown value, as it crosses: errors by their description, primitives as they are. */
export type Thrown =
  | { kind: 'error'; type: string; message: string; stack: string; nonRetryable: boolean }
  | { kind: 'value'; value: string | number | boolean | bigint | null | undefined }
  | { kind: 'object'; message: string }
  /** The result cannot be stored as JSON (see `resultText`). */
  | { kind: 'result'; message: string };

/** Describes what a job threw so that `rethrown` makes the same failure reason of it. */
export function thrown(value: unknown): Thrown {
  if (value instanceof Error) {
    const d = describeError(value);
    return { kind: 'error', type: d.type, message: d.message, stack: d.stack, nonRetryable: value instanceof NonRetryableError };
  }
  const t = typeof value;
  if (value === null || value === undefined || t === 'string' || t === 'number' || t === 'boolean' || t === 'bigint') {
    return { kind: 'value', value: value as string | number | boolean | bigint | null | undefined };
  }
  return { kind: 'object', message: describeError(value).message };
}

/** The job's result could not be stored (a `kind: 'result'` failure), as the server records it. */
export class IsolatedResultError extends Error {
  override name = 'ResultNotJson';
}

/** The value to throw in the server for what the job threw in its executor. */
export function rethrown(t: Thrown): unknown {
  switch (t.kind) {
    case 'value':
      return t.value;
    case 'object':
      return { message: t.message };
    case 'result':
      return new IsolatedResultError(t.message);
    case 'error': {
      const error = t.nonRetryable ? new NonRetryableError(t.message) : new Error(t.message);
      if (!t.nonRetryable) error.name = t.type;
      error.stack = t.stack;
      return error;
    }
  }
}
