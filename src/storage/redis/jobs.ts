import { ValidationError } from '../../errors.js';
import type { CreatedJob, CreateOptions, FetchOptions, JobDetails, JobRecord, JobStore, Json } from '../contract/index.js';
import type { NewJob, StateName, TransitionChange } from '../contract/index.js';
import { decodeClaimed, decodeHistory, decodeJob, encodeNewJob, mergeArgument } from './codec.js';
import { refuseTransaction } from '../no-transactions.js';
import type { RedisContext } from './context.js';
import { SCRIPTS } from './scripts.js';
import { transitionArguments } from './transition-arguments.js';

/**
 * Changes per `transition` script call. The engine sends batches of hundreds; a larger batch is
 * split (each change is its own compare-and-set, so nothing is lost by splitting) to keep every
 * script short.
 */
const TRANSITION_CHUNK = 1_000;

/**
 * The job store on Redis, the hot path: `fetch` claims a whole batch across queues in priority
 * order in one script, `transition` applies a whole batch of compare-and-set changes in one,
 * `createJobs` inserts a whole batch in one.
 *
 * `createJobs` is all-or-nothing for any number of jobs: one script call, which checks every id
 * before its first write. Redis refuses a script at its first write when `maxmemory` was reached
 * before it started (a `StorageFullError`, nothing written) and lets a running script finish, so
 * no error can leave part of a batch behind. The price: Redis serves no other client while the
 * script runs (measured on 2 busy cores, load average 16: 0.8 s for 10,000 jobs, 4 s for 50,000;
 * chunked calls took as long in all); split a very large batch yourself where that matters more
 * than atomicity.
 *
 * Transactions: Redis has none that a script could join and report back from, so `createJobs`
 * rejects a `tx` instead of silently not being atomic with the caller's other writes.
 */
export class RedisJobStore implements JobStore {
  constructor(private readonly ctx: RedisContext) {}

  async createJobs(jobs: NewJob[], options: CreateOptions): Promise<CreatedJob[]> {
    refuseTransaction(options, 'RedisStorage', 'createJobs takes no tx option');
    if (jobs.length === 0) return [];
    const ids = new Set<string>();
    for (const job of jobs) {
      if (ids.has(job.id)) throw new ValidationError('jobs', `job ${job.id} appears twice in one createJobs call`);
      ids.add(job.id);
    }
    const reply = (await this.ctx.run(SCRIPTS.createJobs, [JSON.stringify(jobs.map(encodeNewJob)), String(options.now)])) as string[];
    return reply.map((holder, i) => (holder === '' ? { id: jobs[i]!.id, created: true } : { id: holder, created: false }));
  }

  async fetch(o: FetchOptions): Promise<JobRecord[]> {
    if (o.max <= 0 || o.queues.length === 0) return [];
    const entry = JSON.stringify({ name: 'processing', data: { serverId: o.serverId }, at: o.now });
    const reply = await this.ctx.run(SCRIPTS.fetch, [String(o.max), o.serverId, String(o.now + o.leaseMs), entry, String(o.now), ...o.queues]);
    return decodeClaimed(reply, o);
  }

  async mergeParameters(id: string, serverId: string, parameters: { [key: string]: Json }, now: number): Promise<boolean> {
    return (await this.ctx.run(SCRIPTS.mergeParameters, [id, serverId, mergeArgument(parameters), String(now)])) === 1;
  }

  async renewLeases(serverId: string, ids: string[], leaseMs: number, now: number): Promise<string[]> {
    if (ids.length === 0) return [];
    return (await this.ctx.run(SCRIPTS.renewLeases, [serverId, String(now + leaseMs), ...ids])) as string[];
  }

  async transition(changes: TransitionChange[], now: number): Promise<boolean[]> {
    if (changes.length === 0) return [];
    const calls: Array<Promise<unknown>> = [];
    for (let i = 0; i < changes.length; i += TRANSITION_CHUNK) {
      calls.push(this.ctx.run(SCRIPTS.transition, transitionArguments(changes.slice(i, i + TRANSITION_CHUNK), now)));
    }
    const replies = await Promise.all(calls);
    return replies.flatMap((reply) => (reply as number[]).map((r) => Number(r) === 1));
  }

  async getJob(id: string): Promise<JobDetails | null> {
    const reply = (await this.ctx.run(SCRIPTS.getJob, [id])) as unknown[];
    if (reply.length === 0) return null;
    const { record } = decodeJob(reply[0]);
    return { ...record, history: decodeHistory(String(reply[1])), continuations: (reply[2] as string[]).map(String) };
  }

  async continuationsOf(parentIds: string[]): Promise<JobRecord[]> {
    const parents = [...new Set(parentIds)];
    if (parents.length === 0) return [];
    const reply = (await this.ctx.run(SCRIPTS.continuationsOf, parents)) as unknown[];
    return reply
      .map((flat) => decodeJob(flat))
      .sort((a, b) => a.seq - b.seq)
      .map((r) => r.record);
  }

  async awaitingReady(
    limit: number,
  ): Promise<Array<{ job: JobRecord; parentState: StateName | null; parentResult: string | null }>> {
    if (limit <= 0) return [];
    const reply = (await this.ctx.run(SCRIPTS.awaitingReady, [String(limit)])) as unknown[][];
    return reply.map(([flat, state, hasResult, result]) => ({
      job: decodeJob(flat).record,
      parentState: state === '' ? null : (String(state) as StateName),
      parentResult: Number(hasResult) === 1 ? String(result) : null,
    }));
  }
}
