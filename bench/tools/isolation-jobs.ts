/**
 * The no-op jobs of isolation-cost.ts: the same job run inline, in a worker thread and in a child
 * process. Kiln from dist/, as the benchmarks run it; executors import this module.
 */
import type { defineJob as DefineJob } from '../../src/index.js';

const { defineJob } = (await import(new URL('../../dist/index.js', import.meta.url).href)) as { defineJob: typeof DefineJob };

export const inline = defineJob({ name: 'bench-iso-inline', run: (n: number) => n });
export const worker = defineJob({ name: 'bench-iso-worker', isolation: 'worker', module: import.meta.url, run: (n: number) => n });
export const child = defineJob({ name: 'bench-iso-process', isolation: 'process', module: import.meta.url, run: (n: number) => n });
