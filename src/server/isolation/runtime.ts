/**
 * The code of an isolated job's worker thread or child process: it waits for `run` requests from
 * the server, one at a time, imports the job's module (once), runs the job and sends back its
 * progress, log lines and end. A child process reports its own uncaught errors before it exits;
 * a worker thread's reach the server as the Worker's `error` event.
 */
import { Worker, isMainThread, parentPort } from 'node:worker_threads';
import { KilnError, errorMessage } from '../../errors.js';
import { resultText } from '../../jobs/args.js';
import type { JobContext } from '../../jobs/context.js';
import { isJobDefinition, registeredJob, type AnyJobDefinition } from '../../jobs/define-job.js';
import { NonRetryableError } from '../../states/automatic-retry.js';
import { importModule } from '../threads/bootstrap.js';
import { isolatedContext } from './isolated-context.js';
import { markIsolatedRuntime } from './isolated-runtime-flag.js';
import { thrown, type FromExecutor, type RunRequest } from './protocol.js';

markIsolatedRuntime();

/** Checks every second that the server (the parent) is still this process's parent. */
const ORPHAN_GUARD = `
const { workerData } = require('node:worker_threads');
setInterval(() => { if (process.ppid !== workerData.ppid) process.kill(process.pid, 'SIGKILL'); }, 1000);
`;

const send: (message: FromExecutor) => void = isMainThread
  ? (message) => void process.send!(message)
  : (message) => parentPort!.postMessage(message);
const listen = (handler: (request: RunRequest) => void): void => {
  if (isMainThread) process.on('message', handler);
  else parentPort!.on('message', handler);
};

if (isMainThread) {
  // The server hears why the process ends before it does; then it ends as Node would.
  process.on('uncaughtException', (error) => {
    process.send!({ type: 'crash', thrown: thrown(error) } satisfies FromExecutor, () => process.exit(70));
  });
  // The server going away (the channel closes) ends this process...
  process.on('disconnect', () => process.exit(0));
  // ...unless a job keeps this thread too busy to hear it: a thread of its own then sees this
  // process change parents (the server was killed) and kills it.
  new Worker(ORPHAN_GUARD, { eval: true, execArgv: [], workerData: { ppid: process.ppid } }).unref();
}

const modules = new Map<string, Promise<Record<string, unknown>>>();

class ModuleLoadError extends KilnError {
  override name = 'ModuleLoadError';
}

async function definitionOf(request: RunRequest): Promise<AnyJobDefinition> {
  let loading = modules.get(request.module);
  if (!loading) {
    loading = importModule(request.module);
    modules.set(request.module, loading);
  }
  let exports: Record<string, unknown>;
  try {
    exports = await loading;
  } catch (e) {
    throw new ModuleLoadError(`cannot load the job's module ${request.module}: ${errorMessage(e)}`);
  }
  for (const value of Object.values(exports)) if (isJobDefinition(value) && value.name === request.name) return value;
  const registered = registeredJob(request.name);
  if (registered) return registered;
  throw new NonRetryableError(`${request.module} does not export a job named '${request.name}' (an isolated job's module must export its definition)`);
}

async function run(request: RunRequest): Promise<void> {
  try {
    const definition = await definitionOf(request);
    const ctx = isolatedContext(request.context, request.maxProgressBytes, send);
    if (request.reportStart) send({ type: 'started' });
    const value = await (definition.run as (a: unknown, c: JobContext) => unknown)(request.args, ctx);
    const r = resultText(value);
    send(r.problem === undefined ? { type: 'done', result: r.text } : { type: 'failed', thrown: { kind: 'result', message: `The job's result cannot be stored: ${r.problem}` } });
  } catch (e) {
    send({ type: 'failed', thrown: thrown(e), ...(e instanceof ModuleLoadError ? { retire: true } : {}) });
  }
}

listen((request) => void run(request));
send({ type: 'ready' });
