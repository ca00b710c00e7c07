import type { StandardSchemaV1 } from '@standard-schema/spec';
import { existsSync } from 'node:fs';
import { isAbsolute } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { KilnError, ValidationError } from '../errors.js';
import type { JobFilter } from '../states/filters.js';
import type { JobContext } from './context.js';
import { MAX_TIMER_MS, parseDuration, type Duration } from './duration.js';
import { retryPolicy, type RetryOptions, type RetryPolicy } from './retry-policy.js';
import { DEFAULT_PRIORITY } from '../storage/contract/index.js';
import { exclusiveExecution } from '../states/disable-concurrent-execution.js';
import {
  checkConcurrency,
  checkRateLimit,
  type ConcurrencyOptions,
  type DefinedConcurrency,
  type DefinedRateLimit,
  type RateLimitOptions,
} from './flow-control.js';
import { checkPriority } from './job-options.js';
import { checkQueueName } from './names.js';

/** What `defineJob` takes. */
export interface JobOptions<TArgs, TResult> {
  /** Stable identity stored with every job; a server runs a job by looking this name up. */
  name: string;
  /** Default queue of this job type (default `'default'`). Names: `^[a-z0-9_-]+$`, as Hangfire. */
  queue?: string;
  /** Automatic retry (default 10 retries with Hangfire's back-off, then `failed`). */
  retry?: RetryOptions;
  /**
   * Execution timeout: the attempt's `ctx.signal` is aborted after this long and the attempt
   * fails (and is retried by the retry policy). Default none: a job runs as long as it needs,
   * its lease renewed by the heartbeat. At least 1 ms, at most 2³¹−1 ms (about 24.8 days, the
   * longest timer Node keeps).
   */
  timeout?: Duration;
  /** This job's own filters, run after the global ones. */
  filters?: JobFilter[];
  /**
   * Default priority of its jobs within their queue: a whole number from -100 to 100, higher
   * first, FIFO among equals (default 0). `enqueue(..., { priority })` overrides it per job.
   */
  priority?: number;
  /**
   * At most `limit` of its jobs processing at once across every server, per `key(args)` (e.g.
   * per tenant) or in all; enforced by the storage at claim time. See `ConcurrencyOptions`.
   */
  concurrency?: ConcurrencyOptions<TArgs>;
  /**
   * At most `max` of its jobs started per `per` across every server, per `key(args)` or in all;
   * enforced by the storage at claim time. See `RateLimitOptions`.
   */
  rateLimit?: RateLimitOptions<TArgs>;
  /**
   * Where each attempt runs. Default: on the server's event loop, beside the other jobs.
   * `'worker'`: in a worker thread; `'process'`: in a child process; both taken from a pool the
   * server keeps (`ServerOptions.isolation`). An isolated attempt that times out, is deleted
   * while it runs, or outlives the shutdown's `stopTimeout` is ended hard (the thread is
   * terminated, the process killed with SIGKILL), and one whose thread or process dies
   * (`process.exit`, an uncaught error, out of memory) fails with that reason and is retried by
   * its retry policy: the server is never taken down. For CPU-bound jobs and code that may crash.
   * Needs `module`. See docs/jobs.md.
   */
  isolation?: JobIsolation;
  /**
   * With `isolation`: the module the worker or child process imports to find this job, as a
   * `file:` URL or an absolute path; usually `import.meta.url` of the module that defines it.
   * It must export the definition (any export name) and have no other side effects on import
   * (no server started there). TypeScript modules need the process to run with
   * `node --import tsx` (workers and children inherit it), or to be built first.
   */
  module?: string | URL;
  run(args: TArgs, ctx: JobContext): TResult | Promise<TResult>;
}

/** Where an isolated job runs: a worker thread or a child process (see `JobOptions.isolation`). */
export type JobIsolation = 'worker' | 'process';

/** Options with a Standard Schema (zod, valibot, arktype, ...) for the arguments. */
export interface JobOptionsWithSchema<S extends StandardSchemaV1, TResult>
  extends Omit<JobOptions<StandardSchemaV1.InferOutput<S>, TResult>, 'run' | 'concurrency' | 'rateLimit'> {
  /** Validates the arguments at enqueue (input) and again before each run (giving `run` the output). */
  schema: S;
  /** As `JobOptions.concurrency`; `key` sees the arguments as enqueued (the schema's input). */
  concurrency?: ConcurrencyOptions<StandardSchemaV1.InferInput<S>>;
  /** As `JobOptions.rateLimit`; `key` sees the arguments as enqueued (the schema's input). */
  rateLimit?: RateLimitOptions<StandardSchemaV1.InferInput<S>>;
  run(args: StandardSchemaV1.InferOutput<S>, ctx: JobContext): TResult | Promise<TResult>;
}

/**
 * A job type. `TArgs` is what `enqueue` accepts (the schema's input type when there is a schema),
 * so wrong arguments are a compile error.
 */
export interface JobDefinition<TArgs = unknown, TResult = unknown> {
  readonly name: string;
  readonly queue: string;
  readonly retry: RetryPolicy;
  readonly timeoutMs: number | undefined;
  readonly schema: StandardSchemaV1 | undefined;
  readonly filters: readonly JobFilter[];
  /** The default priority of its jobs (0 unless set). */
  readonly priority: number;
  /** Its concurrency limit: its own `concurrency`, or `{ limit: 1 }` from a `disableConcurrentExecution` filter. */
  readonly concurrency: DefinedConcurrency | undefined;
  readonly rateLimit: DefinedRateLimit | undefined;
  /** Where each attempt runs: undefined for the server's event loop. */
  readonly isolation: JobIsolation | undefined;
  /** With `isolation`: the `file:` URL of the module that exports this definition. */
  readonly module: string | undefined;
  readonly run: (args: never, ctx: JobContext) => TResult | Promise<TResult>;
  /** Type-only marker carrying the argument type. */
  readonly __args?: TArgs;
}

/** Any job definition, whatever its types. */
export type AnyJobDefinition = JobDefinition<unknown, unknown>;

/** The argument type `enqueue` accepts for a definition. */
export type ArgsOf<J> = J extends JobDefinition<infer A, unknown> ? A : never;

const registry = new Map<string, AnyJobDefinition>();

/**
 * Defines a job type and registers it in the process-wide registry, so a
 * `new BackgroundJobServer()` without a `jobs` option can run it. Defining two different jobs with
 * one name throws: the name is how stored jobs find their code.
 */
export function defineJob<S extends StandardSchemaV1, TResult = void>(
  options: JobOptionsWithSchema<S, TResult>,
): JobDefinition<StandardSchemaV1.InferInput<S>, TResult>;
export function defineJob<TArgs = void, TResult = void>(options: JobOptions<TArgs, TResult>): JobDefinition<TArgs, TResult>;
export function defineJob(
  options: JobOptions<unknown, unknown> & { schema?: StandardSchemaV1 },
): JobDefinition<unknown, unknown> {
  if (typeof options !== 'object' || options === null) throw new ValidationError('options', 'must be an object');
  const name = options.name;
  if (typeof name !== 'string' || !/^[A-Za-z0-9_.:/-]{1,200}$/.test(name)) {
    throw new ValidationError('name', `must be 1-200 letters, digits or _ . : / -, got ${JSON.stringify(name)}`);
  }
  if (typeof options.run !== 'function') throw new ValidationError('run', `must be a function (job '${name}')`);
  const queue = options.queue ?? 'default';
  checkQueueName(queue, 'queue');
  const schema = options.schema;
  if (schema !== undefined && typeof schema?.['~standard']?.validate !== 'function') {
    throw new ValidationError('schema', 'must be a Standard Schema (zod, valibot, arktype, ...)');
  }
  if (options.filters !== undefined && !Array.isArray(options.filters)) throw new ValidationError('filters', 'must be an array');
  const filters = Object.freeze([...(options.filters ?? [])]);
  const isolation = options.isolation;
  if (isolation !== undefined && isolation !== 'worker' && isolation !== 'process') {
    throw new ValidationError('isolation', `must be 'worker' or 'process', got ${JSON.stringify(isolation) ?? String(isolation)}`);
  }
  const moduleHref = isolation === undefined ? undefined : moduleUrl(options.module, name);
  if (isolation === undefined && options.module !== undefined) {
    throw new ValidationError('module', `only applies with isolation: 'worker' or 'process' (job '${name}')`);
  }
  const definition: AnyJobDefinition = Object.freeze({
    name,
    queue,
    retry: retryPolicy(options.retry),
    timeoutMs: options.timeout === undefined ? undefined : parseDuration(options.timeout, 'timeout', { min: 1, max: MAX_TIMER_MS }),
    schema,
    filters,
    priority: options.priority === undefined ? DEFAULT_PRIORITY : checkPriority(options.priority, 'priority'),
    concurrency: definedConcurrency(options.concurrency, filters),
    rateLimit: checkRateLimit(options.rateLimit),
    isolation,
    module: moduleHref,
    run: options.run as (args: never, ctx: JobContext) => unknown,
  });
  const existing = registry.get(name);
  if (existing && existing.run !== definition.run) {
    throw new KilnError(`a job named '${name}' is already defined; job names must be unique in a process`);
  }
  registry.set(name, definition);
  return definition;
}

/**
 * The definition's concurrency limit: `concurrency`, or the `{ limit: 1 }` (per key, with its
 * `key`) that a `disableConcurrentExecution` filter among its own filters stands for. Both at
 * once would be two answers to one question, so that is refused.
 */
function definedConcurrency(value: unknown, filters: readonly JobFilter[]): DefinedConcurrency | undefined {
  const own = checkConcurrency(value);
  const exclusive = filters.map(exclusiveExecution).find((e) => e !== undefined);
  if (!exclusive) return own;
  if (own) throw new ValidationError('concurrency', 'is set and a disableConcurrentExecution filter limits concurrency too; keep one');
  return Object.freeze({ limit: 1, key: exclusive.key as ((args: never) => unknown) | undefined });
}

/** The `file:` URL of an isolated job's module: given as a URL or an absolute path, and existing. */
function moduleUrl(module: unknown, name: string): string {
  const usage = `is required with isolation: the module that exports job '${name}', e.g. import.meta.url`;
  let url: URL;
  if (module instanceof URL) url = module;
  else if (typeof module === 'string' && module.startsWith('file:')) {
    try {
      url = new URL(module);
    } catch {
      throw new ValidationError('module', `is not a valid file: URL: ${module}`);
    }
  } else if (typeof module === 'string' && isAbsolute(module)) url = pathToFileURL(module);
  else if (module === undefined) throw new ValidationError('module', usage);
  else throw new ValidationError('module', `must be a file: URL or an absolute path (${usage}), got ${JSON.stringify(module) ?? typeof module}`);
  if (url.protocol !== 'file:') throw new ValidationError('module', `must be a file: URL, got ${url.protocol}`);
  const path = fileURLToPath(url);
  if (!existsSync(path)) throw new ValidationError('module', `${path} does not exist`);
  return url.href;
}

/** The job registered under `name`, if any. */
export function registeredJob(name: string): AnyJobDefinition | undefined {
  return registry.get(name);
}

/** Every registered job. */
export function registeredJobs(): AnyJobDefinition[] {
  return [...registry.values()];
}

export function isJobDefinition(value: unknown): value is AnyJobDefinition {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as AnyJobDefinition).name === 'string' &&
    typeof (value as AnyJobDefinition).run === 'function' &&
    typeof (value as AnyJobDefinition).retry === 'object'
  );
}
