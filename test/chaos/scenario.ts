/**
 * One chaos scenario: server processes (`test/fixtures/chaos-server.ts`) drain normal
 * `fleet-work` jobs beside hostile ones (`chaos-jobs.ts`: a `process.exit` in an isolated
 * thread, a busy loop past the lease, a job that never settles) while one fault strikes
 * mid-drain. What it measures:
 *
 * - lost: normal jobs not `succeeded` once everything settled (must be 0);
 * - duplicate completions: `succeeded` entries beyond one in a job's history (must be 0);
 * - re-runs: claims of a normal job beyond its first (`processing` entries in its history: at
 *   least once allows them after a SIGKILL or an expired lease);
 * - recovery: from the moment the fault was lifted until every normal job in flight when it
 *   struck (or in flight during it) had finished;
 * - survived: every server the fault did not kill is still running and stops gracefully.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { JobClient, silentLogger, type JobDetails, type Storage } from '../../src/index.js';
import { HOSTILE_END, chaosExit, chaosHang, chaosSpin } from '../fixtures/chaos-jobs.js';
import { fleetWork } from '../fixtures/fleet-jobs.js';
import { CHUNK, startFleetServer, statisticsOrNothing, type FleetServer } from '../fleet/fleet.js';
import type { ChaosBackend, FaultName } from './backends.js';

export interface ScenarioOptions {
  /** Normal jobs enqueued at the start (more are added before a fault if fewer than half are left). */
  jobs: number;
  /** How long each normal job runs. */
  jobMs: number;
  /** Server processes. */
  servers: number;
  /** Worker slots per server. */
  workers: number;
  /** Lease, heartbeat and server/liveness check intervals of the servers. */
  leaseMs: number;
  heartbeatMs: number;
  checkMs: number;
  /** How long `chaos-spin` blocks its server's event loop (past `leaseMs`). */
  spinMs: number;
  /** Of each of chaos-exit and chaos-hang: how many are enqueued at the start. */
  hostileEach: number;
  /** The first fault strikes once this share of the normal jobs ran; each next one once the last recovered. */
  faultAt: number;
  /** How long a held lock is held (sqlite-lock). */
  holdMs: number;
  /** Give up waiting for everything to settle after this long. */
  settleMs: number;
}

export const TEST_SCENARIO: ScenarioOptions = {
  jobs: 600,
  jobMs: 50,
  servers: 2,
  workers: 10,
  leaseMs: 3_000,
  heartbeatMs: 300,
  checkMs: 500,
  spinMs: 4_000,
  hostileEach: 1,
  faultAt: 0.15,
  holdMs: 3_000,
  settleMs: 45_000,
};

export interface ChaosResult {
  backend: string;
  /** The faults that struck, one after the other, in one drain. */
  faults: readonly FaultName[];
  /** Jobs enqueued: normal and hostile. */
  enqueued: number;
  /** Normal jobs enqueued, and how many of them succeeded. */
  normal: number;
  completed: number;
  lost: number;
  duplicateCompletions: number;
  reruns: number;
  /** For each fault: seconds from its lifting until every normal job in flight at it had finished. */
  recoverySeconds: number[];
  /** Every server the fault did not kill still ran and stopped gracefully. */
  survived: boolean;
  /** What went wrong besides the counts (hostile jobs in the wrong end state, timeouts); empty when all is well. */
  problems: string[];
  seconds: number;
}

/** The line `chaos-server.ts` logs once its heartbeat thread runs. */
const THREAD_READY = 'the heartbeat runs in its own thread';

const FINAL = new Set(['succeeded', 'failed', 'deleted']);

async function waitUntil(check: () => boolean | Promise<boolean>, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      if (await check()) return true;
    } catch {
      // the storage is down for a moment: not yet
    }
    if (Date.now() > deadline) return false;
    await new Promise((r) => setTimeout(r, 25));
  }
}

async function jobs(storage: Storage, ids: readonly string[]): Promise<Array<JobDetails | null>> {
  const out: Array<JobDetails | null> = [];
  for (let i = 0; i < ids.length; i += 50) out.push(...(await Promise.all(ids.slice(i, i + 50).map((id) => storage.getJob(id)))));
  return out;
}

async function inFlight(storage: Storage): Promise<string[]> {
  const page = await storage.listJobs({ state: 'processing', offset: 0, limit: 1_000 });
  return page.jobs.map((j) => j.id);
}

/** Runs `faults` one after the other in one drain on a fresh store of `backend`, and measures what they did. */
export async function runScenario(backend: ChaosBackend, faults: readonly FaultName[], o: ScenarioOptions): Promise<ChaosResult> {
  const began = Date.now();
  const store = await backend.open();
  const dir = mkdtempSync(join(tmpdir(), 'kiln-chaos-runs-'));
  const servers: FleetServer[] = [];
  const problems: string[] = [];
  const tag = `${backend.name}-${faults.join('+')}`;
  const phase = (what: string) => process.env['CHAOS_DEBUG'] && console.log(`# ${tag} ${what} at ${((Date.now() - began) / 1000).toFixed(1)} s`);
  try {
    for (let k = 0; k < o.servers; k++) {
      servers.push(
        startFleetServer({
          backend: backend.name,
          fixture: 'chaos-server.ts',
          url: store.url,
          namespace: '-',
          name: `chaos-${backend.name}-${k}`,
          runsFile: join(dir, `runs-${k}.txt`),
          workers: o.workers,
          leaseMs: o.leaseMs,
          heartbeatMs: o.heartbeatMs,
          checkMs: o.checkMs,
        }),
      );
    }
    await Promise.all(servers.map((s) => s.started));
    phase('servers started');

    const client = new JobClient({ storage: store.storage, logger: silentLogger });
    const hostile: string[] = [];
    const enqueueHostile = async () => {
      for (let h = 0; h < o.hostileEach; h++) {
        hostile.push(await client.enqueue(chaosExit, null), await client.enqueue(chaosHang, null));
      }
    };
    await enqueueHostile();
    const ids: string[] = [];
    const enqueueNormal = async (n: number) => {
      for (let i = 0; i < n; i += CHUNK) {
        const args = Array.from({ length: Math.min(CHUNK, n - i) }, (_, k) => ({ i: ids.length + i + k, ms: o.jobMs }));
        ids.push(...(await client.enqueueMany(fleetWork, args)));
      }
    };
    await enqueueNormal(o.jobs);
    // The busy loop once every heartbeat thread runs: `start()` resolves before the thread does
    // (seconds later under tsx on a loaded machine), and until then a blocked loop loses its lease.
    const threads = await waitUntil(() => servers.every((s) => s.logs.some((l) => l.includes(THREAD_READY))), o.settleMs);
    if (!threads) problems.push('a server\'s heartbeat thread never started');
    hostile.push(await client.enqueue(chaosSpin, { ms: o.spinMs }));
    phase('heartbeat threads run');

    const ran = () => servers.reduce((n, s) => n + s.ran, 0);
    // Recovery is about the normal jobs: the isolated hostile ones take their own (slow) time.
    const normalIds = new Set(ids);
    const inFlightNormal = async () => (await inFlight(store.storage)).filter((id) => normalIds.has(id));
    const recoverySeconds: number[] = [];
    let killed = 0;
    for (const [k, fault] of faults.entries()) {
      // The first strikes once `faultAt` of the drain is done; each next one once the last recovered.
      const ready = await waitUntil(() => ran() >= o.jobs * o.faultAt, o.settleMs);
      if (!ready) problems.push(`the drain never reached ${o.faultAt * 100}% (ran ${ran()})`);
      if (k > 0) await new Promise((r) => setTimeout(r, 300));
      // Every fault strikes a busy fleet: top the backlog up when a slow recovery ate most of it.
      if (((await statisticsOrNothing(store.storage))?.states.enqueued ?? 0) < o.jobs / 2) {
        const more = Math.ceil(o.jobs / 2);
        await enqueueNormal(more);
        for (const id of ids.slice(-more)) normalIds.add(id);
      }
      let running: string[] = [];
      await waitUntil(async () => (running = await inFlightNormal()).length > 0, 10_000);
      const struck = new Set(running);
      if (struck.size === 0) problems.push(`nothing was running when ${fault} struck (ran ${ran()} of ${o.jobs}): give the drain more jobs`);
      phase(`${fault} strikes (ran ${ran()}, ${struck.size} in flight)`);
      const injecting = backend.inject(fault, { store, servers, holdMs: o.holdMs });
      await injecting;
      if (fault === 'sigkill') killed++;
      const lifted = Date.now();
      phase(`${fault} lifted (ran ${ran()})`);
      // What was claimed while the fault lasted counts too (a claim whose reply was lost).
      for (const id of await inFlightNormal().catch(() => [])) struck.add(id);
      const struckIds = [...struck];
      const recovered = await waitUntil(async () => (await jobs(store.storage, struckIds)).every((j) => FINAL.has(j?.state ?? '')), o.settleMs);
      // When the last of them finished, by the storage's own record (the polling above lags under load).
      const last = (j: JobDetails | null) => j?.history[j.history.length - 1]?.at ?? 0;
      const slowest = (await jobs(store.storage, struckIds)).sort((a, b) => last(b) - last(a))[0] ?? null;
      recoverySeconds.push(Math.max(0, last(slowest) - lifted) / 1000);
      if (process.env['CHAOS_DEBUG']) {
        phase(`slowest: ${slowest?.history.map((h) => `${h.name}@${h.at - lifted}${h.reason ? `(${h.reason})` : ''}`).join(' ')}`);
      }
      if (!recovered) problems.push(`${struckIds.length} job(s) in flight at ${fault} did not finish within ${o.settleMs} ms`);
      phase(`${fault} recovered (ran ${ran()})`);
    }

    const total = ids.length + hostile.length;
    let shown = Date.now();
    const settled = await waitUntil(async () => {
      const s = await statisticsOrNothing(store.storage);
      if (process.env['CHAOS_DEBUG'] && Date.now() - shown > 2_000) {
        shown = Date.now();
        const open = (await inFlight(store.storage)).filter((id) => !normalIds.has(id));
        phase(`settling: ${JSON.stringify(s?.states)}; hostile in flight: ${(await jobs(store.storage, open)).map((j) => `${j?.name} ${j?.history.map((h) => h.name).join('>')}`).join(', ')}`);
      }
      return !!s && s.states.succeeded + s.states.failed === total;
    }, o.settleMs);
    if (!settled) problems.push(`not every job settled within ${o.settleMs} ms: ${JSON.stringify((await statisticsOrNothing(store.storage))?.states)}`);

    phase('settled');
    // The servers the fault did not kill: alive, and they stop gracefully.
    let survived = servers.filter((s) => s.exit).length === killed;
    for (const s of servers.filter((x) => !x.exit)) {
      await s.stop().catch((e: Error) => {
        survived = false;
        problems.push(`${s.name}: ${e.message}`);
      });
    }
    if (!survived) problems.push(`a server died: ${servers.map((s) => `${s.name} ${JSON.stringify(s.exit)}`).join(', ')}`);

    phase('stopped');
    const normal = await jobs(store.storage, ids);
    const completed = normal.filter((j) => j?.state === 'succeeded').length;
    for (const j of normal.filter((x) => x?.state !== 'succeeded').slice(0, 3)) {
      problems.push(`lost: ${j?.name} ${j?.id} ${j?.state}: ${j?.history.map((h) => `${h.name}${h.reason ? ` (${h.reason})` : ''}`).join(' → ')}`);
    }
    const duplicateCompletions = [...normal, ...(await jobs(store.storage, hostile))].reduce(
      (n, j) => n + Math.max(0, (j?.history.filter((h) => h.name === 'succeeded').length ?? 0) - 1),
      0,
    );
    for (const j of await jobs(store.storage, hostile)) {
      const want = j ? HOSTILE_END[j.name] : undefined;
      if (!j || j.state !== want) {
        const why = j?.history.map((h) => `${h.name}${h.reason ? ` (${h.reason})` : ''}`).join(' → ');
        problems.push(`hostile ${j?.name ?? 'job'} ${j?.id ?? ''} ended ${j?.state ?? 'missing'}, not ${want}: ${why}`);
      }
    }
    // Runs started again, by the storage's history (a SIGKILLed server's runs file misses its last lines).
    const reruns = normal.reduce((n, j) => n + Math.max(0, (j?.history.filter((h) => h.name === 'processing').length ?? 0) - 1), 0);
    if (problems.length > 0 && process.env['CHAOS_DUMP']) for (const s of servers) problems.push(...s.logs);
    return {
      backend: backend.name,
      faults,
      enqueued: total,
      normal: ids.length,
      completed,
      lost: ids.length - completed,
      duplicateCompletions,
      reruns,
      recoverySeconds,
      survived,
      problems,
      seconds: (Date.now() - began) / 1000,
    };
  } finally {
    for (const s of servers) s.kill();
    await store.destroy().catch(() => {});
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The chaos table: one row per backend × fault. */
export function chaosTable(results: readonly ChaosResult[]): string {
  const head = ['storage', 'faults', 'enqueued', 'normal completed', 'lost', 'dup. completions', 're-runs', 'recovery s', 'servers survived', 'wall s'];
  const rows = results.map((r) => [
    r.backend,
    r.faults.join(' + '),
    String(r.enqueued),
    `${r.completed} of ${r.normal}`,
    String(r.lost),
    String(r.duplicateCompletions),
    String(r.reruns),
    r.recoverySeconds.map((x) => x.toFixed(2)).join(' / '),
    r.survived ? 'yes' : 'NO',
    r.seconds.toFixed(1),
  ]);
  const line = (cells: string[]) => `| ${cells.join(' | ')} |`;
  return [line(head), line(head.map(() => '---')), ...rows.map(line)].join('\n');
}
