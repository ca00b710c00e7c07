/**
 * Starting Kiln's own worker threads (the heartbeat thread, isolated jobs' workers) so that they
 * load whatever the main thread can: compiled JavaScript, or TypeScript when the application runs
 * with `node --import tsx`.
 *
 * A worker inherits the main thread's `execArgv`, so `--import tsx` runs in it too; but on Node
 * versions where module hooks do not reach worker threads (Node 20, Node 22 before 22.14), tsx
 * registers itself in the main thread only and a `.ts` module fails to load in the worker with
 * `ERR_UNKNOWN_FILE_EXTENSION`. The bootstrap below (plain JavaScript, so it needs no hooks to
 * run) then registers tsx in the worker through its API and loads the module again. Nothing of
 * this happens when the modules are JavaScript.
 */
import { extname } from 'node:path';
import { Worker, type ResourceLimits } from 'node:worker_threads';

/** The worker's first code: loads `entry`, registering tsx first when TypeScript needs it. */
const BOOTSTRAP = `
const { workerData } = require('node:worker_threads');
const boot = workerData.kilnBoot;
(async () => {
  try {
    await import(boot.entry);
  } catch (e) {
    if (!e || e.code !== 'ERR_UNKNOWN_FILE_EXTENSION' || !boot.tsx) throw e;
    (await import(boot.tsx)).register();
    // A module whose load failed stays failed under its URL: load it under another.
    await import(boot.entry + (boot.entry.includes('?') ? '&' : '?') + 'kiln-tsx');
  }
})().catch((e) => process.nextTick(() => { throw e; }));
`;

let tsxApi: string | null | undefined;

/**
 * The URL of tsx's registration API when this process runs with tsx (`--import tsx`, or the tsx
 * command, which adds its loader to `execArgv`), else undefined. Resolved once.
 */
export function tsxApiUrl(): string | undefined {
  if (tsxApi === undefined) {
    tsxApi = null;
    const loader = process.execArgv.find((a) => /(^|[\\/@])tsx([\\/]|$)/.test(a));
    if (loader !== undefined) {
      try {
        tsxApi = import.meta.resolve('tsx/esm/api');
      } catch {
        // tsx installed elsewhere (globally): its API sits beside the loader execArgv names.
        const at = loader.replace(/\\/g, '/').lastIndexOf('/tsx/');
        if (at >= 0) tsxApi = new URL(`${loader.slice(0, at + 5)}dist/esm/api/index.mjs`, 'file:///').href;
      }
    }
  }
  return tsxApi ?? undefined;
}

/**
 * Imports a module, registering tsx first when it is TypeScript that this thread cannot load yet
 * (see the file comment). For job modules loaded inside an isolated worker.
 */
export async function importModule(url: string): Promise<Record<string, unknown>> {
  try {
    return (await import(url)) as Record<string, unknown>;
  } catch (e) {
    const tsx = tsxApiUrl();
    if ((e as { code?: unknown } | null)?.code !== 'ERR_UNKNOWN_FILE_EXTENSION' || tsx === undefined) throw e;
    ((await import(tsx)) as { register(): void }).register();
    return (await import(url + (url.includes('?') ? '&' : '?') + 'kiln-tsx')) as Record<string, unknown>;
  }
}

/** The URL of a module beside `importMetaUrl` with the same extension (`.ts` from sources, `.js` once built). */
export function siblingModule(importMetaUrl: string, name: string): URL {
  return new URL(`./${name}${extname(new URL(importMetaUrl).pathname)}`, importMetaUrl);
}

export interface ThreadOptions {
  /** Given to the worker as `workerData` (beside Kiln's own `kilnBoot`). Structured-cloneable. */
  data: Record<string, unknown>;
  resourceLimits?: ResourceLimits;
}

/**
 * Starts a worker thread running `entry`. The thread is `unref()`ed: it never keeps the process
 * alive; its owner ends it.
 */
export function startThread(entry: URL, options: ThreadOptions): Worker {
  const worker = new Worker(BOOTSTRAP, {
    eval: true,
    workerData: { ...options.data, kilnBoot: { entry: entry.href, tsx: tsxApiUrl() } },
    ...(options.resourceLimits ? { resourceLimits: options.resourceLimits } : {}),
  });
  worker.unref();
  return worker;
}
