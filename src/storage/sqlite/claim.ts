import { MAX_PRIORITY, type FetchOptions, type JobRecord } from '../contract/index.js';
import { claimedJob } from '../claimed-job.js';
import { unclaimedFields, type ClaimedRow, type LimitFields } from './rows.js';
import type { Statements } from './statements/index.js';
import { SEP, type CandidateRow } from './statements/jobs.js';
import { RATE_KEY, RATE_QUEUE, type QueueRow } from './statements/queues.js';
import type { WriteBatch } from './write-batch.js';

/** How many limited candidates a claim reads at a time; more are read only if these run out. */
const CANDIDATE_CHUNK = 64;

/** What a claim writes on each job it takes, as the claim statements bind it. */
interface ClaimWrite {
  data: string;
  entry: string;
  leaseUntil: number;
}

/**
 * One `fetch`, inside its write transaction: queue by queue (see `FetchOptions`). A queue with
 * neither settings nor limited jobs takes the plain path, one `UPDATE ... RETURNING` straight off
 * the index, as before flow control existed; the others go through `claimLimited`.
 */
export class SqliteClaim {
  private readonly write: ClaimWrite;
  private readonly settings: Map<string, QueueRow>;
  /** Processing jobs per concurrency key, read once per key and counted up with each claim. */
  private readonly running = new Map<string, number>();
  /** Starts counted per rate key and window (`key␟perMs`) before this claim, read once each. */
  private readonly started = new Map<string, number>();
  /** Starts this claim made per rate key: counted in every window of the key, written by `finish`. */
  private readonly startedNow = new Map<string, number>();
  /** Starts of rate-limited queues this claim made, written by `finish`. */
  private readonly queueStarts: Array<{ queue: string; perMs: number; n: number }> = [];
  /** The jobs claimed on the limited path: only they can carry a rate key. */
  private readonly limitedJobs: JobRecord[] = [];

  constructor(
    private readonly s: Statements,
    private readonly batch: WriteBatch,
    private readonly o: FetchOptions,
  ) {
    const data = { serverId: o.serverId };
    this.write = {
      data: JSON.stringify(data),
      entry: `,${JSON.stringify({ name: 'processing', data, at: o.now })}`,
      leaseUntil: o.now + o.leaseMs,
    };
    this.settings = new Map(s.queues.allSettings.all().map((r) => [r.queue, r]));
  }

  /** Claims up to `room` jobs of `queue`, in claim order. */
  queue(queue: string, room: number): JobRecord[] {
    const settings = this.settings.get(queue);
    if (settings?.paused) return [];
    const limited = settings !== undefined || this.s.jobs.hasLimited.get(queue) !== undefined;
    /** The limits of the jobs the limited path chose, by seq (read with them as candidates). */
    const limits = new Map<number, LimitFields>();
    const rows = limited
      ? this.claimLimited(queue, Math.min(room, this.queueRoom(queue, settings)), limits)
      : this.s.jobs.claim.all(this.write.data, this.o.now, this.o.serverId, this.write.leaseUntil, this.write.entry, queue, room);
    if (rows.length === 0) return [];
    // RETURNING has no defined order: restore the claim order.
    rows.sort((a, b) => b.priority - a.priority || a.seq - b.seq);
    const jobs = rows.map((r) => claimedJob(unclaimedFields(r, queue, limits.get(r.seq)), this.o));
    if (limited) this.limitedJobs.push(...jobs);
    this.batch.count('enqueued', queue, -rows.length);
    this.batch.count('processing', queue, rows.length);
    if (settings?.rate_max != null) this.queueStarts.push({ queue, perMs: settings.rate_per_ms!, n: rows.length });
    return jobs;
  }

  /**
   * Logs the starts this claim made, for the rate keys of the jobs it took and the rate-limited
   * queues, and drops what no window counts any more. Called once, after every queue: a key's
   * count read during the claim never includes starts this claim wrote.
   */
  finish(): void {
    const { now } = this.o;
    const q = this.s.queues;
    for (const { queue, perMs, n } of this.queueStarts) {
      q.pruneStarts.run(RATE_QUEUE, queue, now - perMs);
      for (let i = 0; i < n; i++) q.addStart.run(RATE_QUEUE, queue, now);
    }
    for (const { rateLimit } of this.limitedJobs) {
      if (rateLimit === null) continue;
      q.pruneStarts.run(RATE_KEY, rateLimit.key, now - rateLimit.perMs);
      q.addStart.run(RATE_KEY, rateLimit.key, now);
    }
  }

  /** How many more jobs the queue's own limits allow now. */
  private queueRoom(queue: string, settings: QueueRow | undefined): number {
    let room = Number.POSITIVE_INFINITY;
    if (settings?.concurrency != null) room = settings.concurrency - this.s.queues.processingIn.get(queue)!;
    if (settings?.rate_max != null) {
      const used = this.s.queues.countStarts.get(RATE_QUEUE, queue, this.o.now - settings.rate_per_ms!)!;
      room = Math.min(room, settings.rate_max - used);
    }
    return Math.max(0, room);
  }

  /**
   * Merges the queue's plain jobs with its limited ones in claim order (priority, then FIFO),
   * taking each limited job whose limits allow it and skipping the rest. Limited candidates are
   * read in chunks, each starting after the last one read, so no row is read twice; a skipped
   * job's key and numbers are left out of the next chunk, so a saturated key's backlog is passed
   * over inside SQLite rather than row by row here.
   */
  private claimLimited(queue: string, room: number, limits: Map<number, LimitFields>): ClaimedRow[] {
    if (room <= 0) return [];
    const plain = this.s.jobs.plainHeads.all(queue, room);
    const chosen: number[] = [];
    const fullConcurrency = new Set<string>();
    const fullRate = new Set<string>();
    let candidates: CandidateRow[] = [];
    let next = 0;
    let exhausted = false;
    // The position after which the next chunk reads: above every priority at first.
    let after: { priority: number; seq: number } = { priority: MAX_PRIORITY + 1, seq: 0 };
    const peekLimited = (): CandidateRow | undefined => {
      if (next < candidates.length) return candidates[next];
      if (exhausted) return undefined;
      candidates = this.readCandidates(queue, after, JSON.stringify([...fullConcurrency]), JSON.stringify([...fullRate]));
      next = 0;
      exhausted = candidates.length < CANDIDATE_CHUNK;
      const last = candidates[candidates.length - 1];
      if (last) after = { priority: last.priority, seq: last.seq };
      return candidates[0];
    };
    let p = 0;
    while (chosen.length < room) {
      const head = plain[p];
      const limited = peekLimited();
      if (!head && !limited) break;
      if (head && (!limited || head.priority > limited.priority || (head.priority === limited.priority && head.seq < limited.seq))) {
        chosen.push(head.seq);
        p++;
        continue;
      }
      next++;
      const job = limited!;
      const concurrencyFull = job.concurrency_key !== null && this.runningWith(job.concurrency_key) >= job.concurrency_limit!;
      const rateFull = job.rate_key !== null && this.startedWith(job.rate_key, job.rate_per_ms!) >= job.rate_max!;
      if (concurrencyFull) fullConcurrency.add(`${job.concurrency_key}${SEP}${job.concurrency_limit}`);
      if (rateFull) fullRate.add(`${job.rate_key}${SEP}${job.rate_max}${SEP}${job.rate_per_ms}`);
      if (concurrencyFull || rateFull) continue;
      chosen.push(job.seq);
      limits.set(job.seq, job);
      if (job.concurrency_key !== null) this.running.set(job.concurrency_key, this.runningWith(job.concurrency_key) + 1);
      if (job.rate_key !== null) this.startedNow.set(job.rate_key, (this.startedNow.get(job.rate_key) ?? 0) + 1);
    }
    if (chosen.length === 0) return [];
    const w = this.write;
    return this.s.jobs.claimSeqs.all(w.data, this.o.now, this.o.serverId, w.leaseUntil, w.entry, JSON.stringify(chosen));
  }

  /** Up to `CANDIDATE_CHUNK` limited candidates after `after`, in claim order. */
  private readCandidates(queue: string, after: { priority: number; seq: number }, fullC: string, fullR: string): CandidateRow[] {
    const j = this.s.jobs;
    const rows = after.priority > MAX_PRIORITY ? [] : j.limitedAtPriority.all(queue, after.priority, after.seq, fullC, fullR, CANDIDATE_CHUNK);
    if (rows.length === CANDIDATE_CHUNK) return rows;
    return rows.concat(j.limitedBelowPriority.all(queue, after.priority, fullC, fullR, CANDIDATE_CHUNK - rows.length));
  }

  private runningWith(key: string): number {
    let n = this.running.get(key);
    if (n === undefined) {
      n = this.s.jobs.processingWithKey.get(key) ?? 0;
      this.running.set(key, n);
    }
    return n;
  }

  private startedWith(key: string, perMs: number): number {
    const id = `${key}${SEP}${perMs}`;
    let n = this.started.get(id);
    if (n === undefined) {
      n = this.s.queues.countStarts.get(RATE_KEY, key, this.o.now - perMs) ?? 0;
      this.started.set(id, n);
    }
    return n + (this.startedNow.get(key) ?? 0);
  }
}
