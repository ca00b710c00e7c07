/**
 * Limits across real server processes: the one body runs on each backend (a test file per
 * backend, as test/hostile/ does). Three server processes with 20 workers each share a storage;
 * the test enqueues from its own process and reads what the jobs themselves report.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { JobClient, silentLogger, type Storage } from '../../src/index.js';
import { busiestWindow } from '../../src/storage/conformance/harness.js';
import { PER_KEY_LIMIT, RATE, flowLimited, flowRated, type FlowRun } from '../fixtures/flow-jobs.js';
import { startFleetServer, type FleetServer } from '../fleet/fleet.js';
import { waitFor } from '../support/wait.js';

/** A backend the fleet runs on: the test's storage, and how a server process reaches the same one. */
export interface FleetTarget {
  name: 'sqlite' | 'postgres' | 'redis';
  open(): Promise<{ storage: Storage; url: string; namespace: string; destroy(): Promise<void> }>;
}

const PROCESSES = 3;

/**
 * Three server processes on one storage, started once for the whole suite (starting a process
 * is most of a fleet test's time), with the runs they report and their counters.
 */
class Fleet {
  readonly servers: FleetServer[] = [];
  private dir = '';
  private store: Awaited<ReturnType<FleetTarget['open']>> | undefined;

  get storage(): Storage {
    return this.store!.storage;
  }

  async start(target: FleetTarget): Promise<void> {
    this.store = await target.open();
    this.dir = mkdtempSync(join(tmpdir(), `kiln-flow-fleet-${target.name}-`));
    for (let p = 0; p < PROCESSES; p++) {
      const name = `${this.store.namespace.replace(/\W/g, '') || 'flow'}_p${p}`;
      const runsFile = join(this.dir, `runs-${p}.txt`);
      this.servers.push(startFleetServer({ backend: target.name, fixture: 'flow-server.ts', url: this.store.url, namespace: this.store.namespace, name, runsFile }));
    }
    await Promise.all(this.servers.map((s) => s.started));
  }

  /** Waits until the servers together report `total` runs; returns every run reported so far. */
  async ranAtLeast(total: number): Promise<FlowRun[]> {
    const ran = () => this.servers.reduce((n, s) => n + s.ran, 0);
    await waitFor(`${total} runs (so far ${ran()})`, () => this.servers.some((s) => s.exit) || ran() >= total, 60_000);
    for (const s of this.servers) assert.equal(s.exit, undefined, `${s.name} exited:\n${s.logs.join('\n')}`);
    return this.servers.flatMap((s) =>
      readFileSync(s.runsFile, 'utf8')
        .split('\n')
        .filter(Boolean)
        .map((line) => JSON.parse(line) as FlowRun),
    );
  }

  /** Each server's counters as last reported (see `flow-server.ts`). */
  stats(): Array<Record<string, number>> {
    return this.servers.map((s) => ({ fetch: 0, nextRateSlot: 0, wakeUps: 0, ...s.stats }));
  }

  async stop(): Promise<void> {
    try {
      await Promise.all(this.servers.filter((s) => !s.exit).map((s) => s.stop()));
    } finally {
      for (const s of this.servers) s.kill();
      await this.store?.destroy();
      if (this.dir) rmSync(this.dir, { recursive: true, force: true });
    }
  }
}

/** The most runs of one key overlapping at any instant; a run ending when another starts does not overlap it. */
function peakOverlap(runs: FlowRun[]): number {
  const events = runs.flatMap((r) => [
    { at: r.start, d: 1 },
    { at: r.end, d: -1 },
  ]);
  events.sort((a, b) => a.at - b.at || a.d - b.d);
  let now = 0;
  let peak = 0;
  for (const e of events) peak = Math.max(peak, (now += e.d));
  return peak;
}

function byKey(runs: FlowRun[]): Map<string, FlowRun[]> {
  const m = new Map<string, FlowRun[]>();
  for (const r of runs) m.set(r.key, [...(m.get(r.key) ?? []), r]);
  return m;
}

export function limitsFleetSuite(target: FleetTarget): void {
  describe(`${target.name}: limits across ${PROCESSES} server processes`, () => {
    const fleet = new Fleet();
    before(() => fleet.start(target));
    after(() => fleet.stop());

    it(`a per-key limit of ${PER_KEY_LIMIT} holds with ${PROCESSES} × 20 workers over 1,000 jobs of 20 keys, and free keys are not blocked`, async (t) => {
      const client = new JobClient({ storage: fleet.storage, logger: silentLogger });
      // 16 busy keys with 60 jobs each, then 4 keys with 10 each behind them all.
      const ids = await client.enqueueMany(flowLimited, Array.from({ length: 960 }, (_, i) => ({ key: `busy-${i % 16}`, ms: 5 })));
      ids.push(...(await client.enqueueMany(flowLimited, Array.from({ length: 40 }, (_, i) => ({ key: `free-${i % 4}`, ms: 5 })))));
      const runs = await fleet.ranAtLeast(1000);
      assert.equal(runs.length, 1000, 'every job ran once');
      assert.deepEqual(new Set(runs.map((r) => r.id)), new Set(ids));
      const peaks = new Map([...byKey(runs)].map(([key, list]) => [key, peakOverlap(list)]));
      for (const [key, peak] of peaks) assert.ok(peak <= PER_KEY_LIMIT, `${key}: ${peak} runs at once`);
      assert.ok([...peaks.values()].some((p) => p === PER_KEY_LIMIT), 'the limit was reached');
      // The free keys' jobs, enqueued last, finished before half the busy jobs had even started.
      const busyStarts = runs.filter((r) => r.key.startsWith('busy')).map((r) => r.start).sort((a, b) => a - b);
      const freeEnd = Math.max(...runs.filter((r) => r.key.startsWith('free')).map((r) => r.end));
      assert.ok(freeEnd <= busyStarts[busyStarts.length / 2]!, 'free keys waited behind the busy ones');
      t.diagnostic(`${target.name}: peak runs at once per key: ${[...new Set(peaks.values())].join('/')}; claims per server ${fleet.stats().map((s) => s['fetch']).join(', ')}`);
    });

    it(`a rate limit of ${RATE.max} per ${RATE.perMs} ms (50/s) is never exceeded in any window, and servers wait for it without polling`, async (t) => {
      const total = 150;
      const before = fleet.stats();
      const client = new JobClient({ storage: fleet.storage, logger: silentLogger });
      const ids = await client.enqueueMany(flowRated, Array.from({ length: total }, () => ({ key: 'api', ms: 1 })));
      const runs = (await fleet.ranAtLeast(1000 + total)).filter((r) => r.key === 'api');
      assert.equal(runs.length, total);
      // A start is a claim: the time the storage recorded it, in the job's history.
      const starts: number[] = [];
      for (const id of ids) starts.push((await fleet.storage.getJob(id))!.history.find((h) => h.name === 'processing')!.at);
      starts.sort((a, b) => a - b);
      assert.ok(busiestWindow(starts, RATE.perMs) <= RATE.max, `${busiestWindow(starts, RATE.perMs)} starts in one window`);
      assert.ok(busiestWindow(starts, 1000) <= 2 * RATE.max, `${busiestWindow(starts, 1000)} starts in one second`);
      const windows = Math.ceil(total / RATE.max);
      const used = fleet.stats().map((s, i) => ({
        fetch: s['fetch']! - before[i]!['fetch']!,
        asks: s['nextRateSlot']! - before[i]!['nextRateSlot']!,
        wakeUps: s['wakeUps']! - before[i]!['wakeUps']!,
      }));
      for (const [i, s] of used.entries()) {
        assert.ok(s.asks > 0, `server ${i} asked when the window reopens`);
        // Every claim has a cause: a wake-up (new jobs, another process's commit), a rate timer,
        // the poll; polling for the window would make hundreds more.
        assert.ok(s.fetch <= s.wakeUps + 3 * windows + 10, `server ${i}: ${s.fetch} claims for ${s.wakeUps} wake-ups and ${windows} windows`);
      }
      t.diagnostic(`${target.name}: busiest window ${busiestWindow(starts, RATE.perMs)}; per server claims/rate asks/wake-ups ${used.map((s) => `${s.fetch}/${s.asks}/${s.wakeUps}`).join(', ')}`);
    });
  });
}
