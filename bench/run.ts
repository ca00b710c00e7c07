/**
 * Kiln against BullMQ, graphile-worker and pg-boss, side by side, in one process run.
 *
 *   npm run bench                                  every default workload on every system (~10 min)
 *   npm run bench -- drain latency                 only these workloads
 *   npm run bench -- rss                           peak RSS draining 100k and 1M jobs (opt-in, long)
 *   npm run bench -- drain --systems=kiln-postgres,graphile-batched
 *   BENCH_SYSTEMS=kiln-redis,bullmq BENCH_JOBS=50000 npm run bench -- drain
 *
 * Options (also as env BENCH_<NAME>): --systems, --jobs (20000), --concurrency (50),
 * --one-by-one (2000), --latency-samples (500), --scheduled (1000), --processes (3),
 * --rss-backlogs (100000,1000000), --out (bench/results/latest.md).
 * A full default run replaces bench/results/latest.{json,md}; a partial run merges its numbers in;
 * --report only rewrites latest.md from latest.json.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { environment } from './environment.js';
import { markdown, ratioTable, resultsTable, targetsTable, type Environment, type Result } from './report.js';
import { SYSTEMS, systemById } from './systems/index.js';
import type { BenchOptions, Workload } from './workload.js';
import { drain, drainLimited } from './workloads/drain.js';
import { enqueueBulk, enqueueOne } from './workloads/enqueue.js';
import { latency } from './workloads/latency.js';
import { drainProcesses, peakRss } from './workloads/processes.js';
import { scheduled } from './workloads/scheduled.js';

const WORKLOADS: readonly Workload[] = [enqueueBulk, enqueueOne, drain, drainLimited, drainProcesses, latency, scheduled, peakRss];

function parseArgs(argv: string[]): { positional: string[]; flags: Map<string, string> } {
  const positional: string[] = [];
  const flags = new Map<string, string>();
  for (const a of argv) {
    const m = /^--([a-z-]+)(?:=(.*))?$/.exec(a);
    if (m) flags.set(m[1]!, m[2] ?? 'true');
    else positional.push(a);
  }
  return { positional, flags };
}

const { positional, flags } = parseArgs(process.argv.slice(2));
const opt = (name: string): string | undefined => flags.get(name) ?? process.env[`BENCH_${name.toUpperCase().replace(/-/g, '_')}`];
const num = (name: string, fallback: number): number => {
  const v = opt(name);
  if (v === undefined) return fallback;
  const n = Number(v);
  if (!Number.isFinite(n) || n <= 0) throw new Error(`--${name} must be a positive number, got ${v}`);
  return n;
};

const options: BenchOptions = {
  jobs: num('jobs', 20_000),
  concurrency: num('concurrency', 50),
  oneByOne: num('one-by-one', 2_000),
  latencySamples: num('latency-samples', 500),
  scheduled: num('scheduled', 1_000),
  processes: num('processes', 3),
  rssBacklogs: (opt('rss-backlogs') ?? '100000,1000000').split(',').map(Number),
  slowBudgetMs: num('slow-budget-ms', 20_000),
  budgetMs: num('budget-ms', 120_000),
};

const workloadIds = positional.length > 0 ? positional : (opt('workloads')?.split(',') ?? WORKLOADS.filter((w) => !w.optIn).map((w) => w.id));
const workloads = workloadIds.map((id) => {
  const w = WORKLOADS.find((x) => x.id === id);
  if (!w) throw new Error(`unknown workload ${id}; known: ${WORKLOADS.map((x) => x.id).join(', ')}`);
  return w;
});
const systems = opt('systems')?.split(',').map(systemById) ?? [...SYSTEMS];
const reportOnly = flags.has('report');
const fullRun = positional.length === 0 && !opt('workloads') && !opt('systems') && !reportOnly;

const here = dirname(fileURLToPath(import.meta.url));
const out = opt('out') ?? `${here}/results/latest.md`;
const jsonPath = out.replace(/\.md$/, '') + '.json';

const env = await environment();
console.log(`Kiln benchmarks — ${env.cpus} CPUs (${env.cpuModel}), ${env.memoryGiB.toFixed(1)} GiB, load ${env.loadAverage}`);
console.log(`Node ${env.node}, ${env.postgres}, Redis ${env.redis}`);
if (env.experiments.length) console.log(`experiment switches set (not Kiln's defaults): ${env.experiments.join(', ')}`);
console.log(`workloads: ${workloads.map((w) => w.id).join(', ')}; systems: ${systems.map((s) => s.id).join(', ')}\n`);

const results: Result[] = [];
for (const w of reportOnly ? [] : workloads) {
  console.log(`== ${w.title}`);
  for (const s of systems) {
    const began = performance.now();
    try {
      const ms = await w.run(s, options);
      const at = new Date().toISOString();
      for (const m of ms) results.push({ ...m, workload: w.id, system: s.id, at });
      const shown = ms.map((m) => `${m.metric}: ${m.unit === 'jobs/s' ? Math.round(m.value) : m.value.toFixed(2)} ${m.unit}${m.note ? ` (${m.note})` : ''}`);
      console.log(`  ${s.label.padEnd(15)} ${shown.join('; ')}  [${((performance.now() - began) / 1000).toFixed(1)} s]`);
    } catch (e) {
      console.log(`  ${s.label.padEnd(15)} FAILED: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
    }
  }
  console.log('');
}

// Merge with earlier results unless this was a full run.
const command = fullRun ? 'npm run bench' : `npm run bench -- ${process.argv.slice(2).join(' ')}`;
let merged = results;
let mergedEnv: Environment = env;
let commands = [command];
if (!fullRun && existsSync(jsonPath)) {
  const previous = JSON.parse(readFileSync(jsonPath, 'utf8')) as { env: Environment; results: Result[]; commands?: string[] };
  commands = reportOnly ? (previous.commands ?? []) : [...(previous.commands ?? []), command];
  const measured = new Set(results.map((r) => `${r.workload}\u0000${r.system}`));
  merged = [...previous.results.filter((r) => !measured.has(`${r.workload}\u0000${r.system}`)), ...results];
  const firstDate = previous.env.date.split(' (')[0]!;
  mergedEnv = reportOnly ? previous.env : { ...env, date: `${firstDate} (partly updated ${env.date})` };
}
const order = (r: Result) => WORKLOADS.findIndex((w) => w.id === r.workload);
merged.sort((a, b) => order(a) - order(b));

console.log(resultsTable(merged, SYSTEMS));
console.log('');
const ratios = ratioTable(merged, SYSTEMS);
if (ratios) console.log(`${ratios}\n`);
const targets = targetsTable(merged);
if (targets) console.log(`${targets}\n`);

const titles = new Map(WORKLOADS.filter((w) => merged.some((r) => r.workload === w.id)).map((w) => [w.id, w.title]));
if (reportOnly && merged.length === 0) throw new Error(`--report: no results in ${jsonPath}`);
mkdirSync(dirname(out), { recursive: true });
writeFileSync(jsonPath, JSON.stringify({ env: mergedEnv, commands, results: merged }, null, 2) + '\n');
writeFileSync(out, markdown(mergedEnv, merged, SYSTEMS, titles, commands));
console.log(`written ${out}`);
process.exit(process.exitCode ?? 0);
