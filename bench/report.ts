/** Turns results into the console table, the Kiln/peer ratios, the target checks and `results/latest.md`. */
import type { SystemSpec } from './system.js';
import type { Measurement } from './workload.js';

export interface Result extends Measurement {
  workload: string;
  system: string;
  /** ISO date of the run that measured it. */
  at: string;
}

export interface Environment {
  date: string;
  cpus: number;
  cpuModel: string;
  memoryGiB: number;
  loadAverage: string;
  node: string;
  postgres: string;
  redis: string;
  versions: Record<string, string>;
  commit: string;
  /** Experiment switches (BENCH_KILN_*) that were set: results taken with them are not Kiln's defaults. */
  experiments: string[];
}

/** Kiln system → the peers it is compared with (same backend). */
export const PAIRS: ReadonlyArray<[string, string]> = [
  ['kiln-postgres', 'graphile'],
  ['kiln-postgres', 'graphile-batched'],
  ['kiln-postgres', 'pg-boss'],
  ['kiln-postgres-batch', 'graphile-batched'],
  ['kiln-redis', 'bullmq'],
];

function fmt(r: Result | undefined): string {
  if (!r || !Number.isFinite(r.value)) return '—';
  const v = r.value;
  const s = r.unit === 'jobs/s' ? Math.round(v).toLocaleString('en-US') : v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v.toFixed(2);
  return r.note ? `${s}*` : s;
}

function rows(results: Result[]): Array<{ workload: string; metric: string; unit: string; better: string }> {
  const seen = new Map<string, { workload: string; metric: string; unit: string; better: string }>();
  for (const r of results) {
    const key = `${r.workload}\u0000${r.metric}`;
    if (!seen.has(key)) seen.set(key, { workload: r.workload, metric: r.metric, unit: r.unit, better: r.better });
  }
  return [...seen.values()];
}

function find(results: Result[], workload: string, metric: string, system: string): Result | undefined {
  return results.find((r) => r.workload === workload && r.metric === metric && r.system === system);
}

function table(head: string[], body: string[][]): string {
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join(' | ')} |`;
  const sep = `|${widths.map((w, i) => (i === 0 ? '-'.repeat(w + 2) : `${'-'.repeat(w + 1)}:`)).join('|')}|`;
  return [line(head), sep, ...body.map(line)].join('\n');
}

export function resultsTable(results: Result[], systems: readonly SystemSpec[]): string {
  const used = systems.filter((s) => results.some((r) => r.system === s.id));
  const body = rows(results).map((row) => [
    `${row.metric} (${row.unit}, ${row.better} is better)`,
    ...used.map((s) => fmt(find(results, row.workload, row.metric, s.id))),
  ]);
  return table(['metric', ...used.map((s) => s.label)], body);
}

export function ratioTable(results: Result[], systems: readonly SystemSpec[]): string {
  const pairs = PAIRS.filter(([k, p]) => results.some((r) => r.system === k) && results.some((r) => r.system === p));
  if (pairs.length === 0) return '';
  const label = (id: string) => systems.find((s) => s.id === id)?.label ?? id;
  const body = rows(results).map((row) => [
    `${row.metric} (${row.better === 'higher' ? '>1' : '<1'} = Kiln better)`,
    ...pairs.map(([k, p]) => {
      const a = find(results, row.workload, row.metric, k);
      const b = find(results, row.workload, row.metric, p);
      if (!a || !b || !(b.value > 0) || !Number.isFinite(a.value)) return '—';
      const ratio = a.value / b.value;
      return `${ratio >= 10 ? ratio.toFixed(0) : ratio.toFixed(2)}×`;
    }),
  ]);
  return table(['Kiln / peer', ...pairs.map(([k, p]) => `${label(k)} / ${label(p)}`)], body);
}

interface Target {
  name: string;
  check(results: Result[]): { value: string; met: boolean } | undefined;
}

type Match = (metric: string) => boolean;
const prefix = (p: string): Match => (m) => m.startsWith(p);
const suffix = (p: string): Match => (m) => m.endsWith(p);

const metricOf = (results: Result[], workload: string, system: string, match: Match) =>
  results.find((r) => r.workload === workload && r.system === system && match(r.metric));

function ratioTarget(name: string, workload: string, kiln: string, peer: string, factor: number): Target {
  return {
    name,
    check(results) {
      const a = metricOf(results, workload, kiln, prefix('drain '));
      const b = metricOf(results, workload, peer, prefix('drain '));
      if (!a || !b) return undefined;
      const n = (v: number) => Math.round(v).toLocaleString('en-US');
      return { value: `${n(a.value)} vs ${n(b.value)} jobs/s (${(a.value / b.value).toFixed(2)}×)`, met: a.value >= factor * b.value };
    },
  };
}

function absolute(name: string, workload: string, system: string, match: Match, limit: number): Target {
  return {
    name,
    check(results) {
      const a = metricOf(results, workload, system, match);
      if (!a) return undefined;
      const v = a.unit === 'jobs/s' ? Math.round(a.value).toLocaleString('en-US') : a.value.toFixed(2);
      return { value: `${v} ${a.unit}`, met: a.better === 'higher' ? a.value >= limit : a.value < limit };
    },
  };
}

function flatRss(system: string): Target {
  return {
    name: `${system}: peak RSS flat in backlog size (largest ≤ smallest + 25%)`,
    check(results) {
      const rss = results.filter((r) => r.workload === 'rss' && r.system === system && r.metric.startsWith('peak RSS'));
      if (rss.length < 2) return undefined;
      const small = rss[0]!.value;
      const large = rss[rss.length - 1]!.value;
      return { value: rss.map((r) => `${r.metric.replace('peak RSS, backlog ', '')}: ${r.value.toFixed(0)} MB`).join(', '), met: large <= small * 1.25 };
    },
  };
}

const KILN = ['kiln-sqlite', 'kiln-postgres', 'kiln-redis'] as const;

export const TARGETS: Target[] = [
  ratioTarget('Postgres drain ≥ graphile-worker with batching (Kiln defaults)', 'drain', 'kiln-postgres', 'graphile-batched', 1),
  ratioTarget('Postgres drain ≥ graphile-worker with batching (both with a 500-job local queue)', 'drain', 'kiln-postgres-batch', 'graphile-batched', 1),
  ratioTarget('Redis drain ≥ 1.5× BullMQ', 'drain', 'kiln-redis', 'bullmq', 1.5),
  absolute('SQLite drain ≥ 30,000 jobs/s', 'drain', 'kiln-sqlite', prefix('drain '), 30_000),
  absolute('Redis enqueue→start p50 < 1 ms', 'latency', 'kiln-redis', suffix('p50'), 1),
  absolute('SQLite enqueue→start p50 < 1 ms', 'latency', 'kiln-sqlite', suffix('p50'), 1),
  absolute('Postgres enqueue→start p50 < 2 ms', 'latency', 'kiln-postgres', suffix('p50'), 2),
  ...KILN.map((s) => absolute(`${s}: scheduled lateness p99 < 100 ms`, 'scheduled', s, suffix('p99'), 100)),
  ...KILN.map(flatRss),
];

export function targetsTable(results: Result[]): string {
  const body = TARGETS.flatMap((t) => {
    const c = t.check(results);
    return c ? [[t.name, c.value, c.met ? 'met' : 'NOT met']] : [];
  });
  return body.length ? table(['target', 'measured', ''], body) : '';
}

export function markdown(env: Environment, results: Result[], systems: readonly SystemSpec[], titles: Map<string, string>, commands: string[]): string {
  const used = systems.filter((s) => results.some((r) => r.system === s.id));
  const dates = [...new Set(results.map((r) => r.at.slice(0, 16)))].sort();
  const notes = results.filter((r) => r.note).map((r) => `- ${systems.find((s) => s.id === r.system)?.label ?? r.system}, ${r.metric}: ${r.note}`);
  return [
    '# Kiln benchmarks: latest results',
    '',
    `Made by ${commands.map((c) => `\`${c}\``).join(', then ')} (see \`bench/README.md\`); measured ${dates.length > 1 ? `from ${dates[0]} to ${dates[dates.length - 1]}` : `at ${dates[0]}`} (UTC).`,
    '',
    '## Machine',
    '',
    `- ${env.cpus} CPUs (${env.cpuModel}), ${env.memoryGiB.toFixed(1)} GiB RAM, load average at start ${env.loadAverage}`,
    `- Node ${env.node}; ${env.postgres}; Redis ${env.redis}`,
    `- ${Object.entries(env.versions).map(([k, v]) => `${k} ${v}`).join(', ')}; Kiln commit ${env.commit}`,
    ...(env.experiments?.length ? [`- **Experiment switches set: ${env.experiments.join(', ')}** — Kiln did not run with its defaults.`] : []),
    `- Date ${env.date}. A shared 2-core VM: throughputs vary by roughly ±20% from run to run, and enqueue→start latencies by up to 2× (every system's at once: the host, not the code); compare ratios from one run.`,
    '',
    '## Results',
    '',
    'Jobs are no-ops. Concurrency is the same for every system. Each system starts from a clean schema, key prefix or file. `*` = see notes.',
    '',
    resultsTable(results, systems),
    '',
    '## Kiln / peer (same backend)',
    '',
    ratioTable(results, systems),
    '',
    '## Targets',
    '',
    targetsTable(results) || '(no target measured in this run)',
    '',
    ...(notes.length ? ['## Notes', '', ...notes, ''] : []),
    '## Workloads',
    '',
    ...[...titles].map(([id, title]) => `- \`${id}\`: ${title}`),
    '',
    '## Configurations',
    '',
    ...used.map((s) => `- **${s.label}** (\`${s.id}\`, ${s.version()}): ${s.config}`),
    '',
  ].join('\n');
}
