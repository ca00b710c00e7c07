/**
 * Whether this thread or process is an isolated job's executor. A job module that starts a
 * `BackgroundJobServer` when imported would start one inside every executor; the server refuses
 * to start there instead (the flag is a global symbol, so two copies of Kiln agree on it).
 */
export const ISOLATED_RUNTIME = Symbol.for('kiln.isolatedRuntime');

export function markIsolatedRuntime(): void {
  (globalThis as Record<symbol, unknown>)[ISOLATED_RUNTIME] = true;
}

export function inIsolatedRuntime(): boolean {
  return (globalThis as Record<symbol, unknown>)[ISOLATED_RUNTIME] === true;
}
