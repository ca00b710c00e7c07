/**
 * The chaos run: every fault of every storage on its own drain (the test suite, test/chaos/,
 * strikes them one after the other in one short drain), with more jobs, three server processes,
 * repeated SIGKILLs and a 15 s write lock. Prints one table row per storage × fault: jobs
 * enqueued, normal jobs completed, lost (must be 0), duplicate completions (must be 0), re-runs,
 * recovery seconds (from the fault lifted until every normal job in flight at it had finished),
 * and whether the servers it did not kill survived.
 *
 *   npm run bench:chaos
 *   npm run bench:chaos -- --backends=sqlite,redis --faults=sigkill --jobs=3000
 *
 * Postgres and Redis are private servers started for the run (initdb + pg_ctl, redis-server), never
 * the shared ones. Options: --backends (sqlite,postgres,redis), --faults (every one the storage
 * can suffer), --jobs (4000), --kills (SIGKILLs in a row for `sigkill`, 2), --hold-ms (15000),
 * --out (a Markdown file to write the table to).
 */
import { writeFileSync } from 'node:fs';
import { FAULTS, openBackend, type BackendName, type FaultName } from '../test/chaos/backends.js';
import { chaosTable, runScenario, type ChaosResult, type ScenarioOptions } from '../test/chaos/scenario.js';

function flag(name: string): string | undefined {
  const prefix = `--${name}=`;
  return process.argv.find((a) => a.startsWith(prefix))?.slice(prefix.length);
}

const backends = (flag('backends') ?? 'sqlite,postgres,redis').split(',') as BackendName[];
const only = flag('faults')?.split(',') as FaultName[] | undefined;
const kills = Number(flag('kills') ?? 2);

const options: ScenarioOptions = {
  jobs: Number(flag('jobs') ?? 4_000),
  jobMs: 50,
  servers: 3,
  workers: 10,
  leaseMs: 5_000,
  heartbeatMs: 500,
  checkMs: 1_000,
  spinMs: 7_000,
  hostileEach: 3,
  faultAt: 0.2,
  holdMs: Number(flag('hold-ms') ?? 15_000),
  settleMs: 120_000,
};

const results: ChaosResult[] = [];
for (const name of backends) {
  if (!(name in FAULTS)) throw new Error(`unknown backend ${name}: sqlite, postgres or redis`);
  const backend = await openBackend(name);
  try {
    for (const fault of FAULTS[name].filter((f) => !only || only.includes(f))) {
      const faults: FaultName[] = fault === 'sigkill' ? Array.from({ length: kills }, () => fault) : [fault];
      process.stderr.write(`${name} × ${faults.join(' + ')} ... `);
      const r = await runScenario(backend, faults, options);
      results.push(r);
      process.stderr.write(`${r.seconds.toFixed(0)} s${r.problems.length > 0 ? `; problems:\n  ${r.problems.join('\n  ')}` : ''}\n`);
    }
  } finally {
    await backend.close();
  }
}

const table = chaosTable(results);
const setup =
  `Chaos run of ${new Date().toISOString().slice(0, 10)}: ${options.servers} servers × ${options.workers} workers, ${options.jobs}+ jobs of ${options.jobMs} ms, ` +
  `lease ${options.leaseMs} ms, locks held ${options.holdMs} ms; hostile jobs: 1 busy loop of ${options.spinMs} ms, ` +
  `${options.hostileEach} process.exit and ${options.hostileEach} never-settling (isolated threads)`;
console.log(`\n${setup}\n`);
console.log(table);
const out = flag('out');
if (out) writeFileSync(out, `# Chaos (npm run bench:chaos)\n\n${setup}\n\n${table}\n`);
const bad = results.filter((r) => r.lost > 0 || r.duplicateCompletions > 0 || !r.survived || r.problems.length > 0);
if (bad.length > 0) {
  console.log(`\n${bad.length} row(s) with problems: ${bad.map((r) => `${r.backend} × ${r.faults.join(' + ')}`).join(', ')}`);
  process.exitCode = 1;
}
