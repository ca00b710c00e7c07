import type { RecurringAdvance, RecurringJobRecord, RecurringStore } from '../contract/index.js';
import { encodeNewJob, num } from './codec.js';
import type { RedisContext } from './context.js';
import { decodeRecurring, encodeRecurring } from './recurring-codec.js';
import { SCRIPTS } from './scripts.js';

/**
 * Recurring definitions on Redis: one hash per definition (`rec:<id>`) and `recurring:due`, the
 * unpaused ones by next execution, so `dueRecurring` is a range read. `advanceRecurring` checks
 * the expected next execution and creates the occurrence's jobs in the same script, so each
 * occurrence is enqueued once however many servers poll.
 */
export class RedisRecurringStore implements RecurringStore {
  constructor(private readonly ctx: RedisContext) {}

  async upsertRecurring(job: RecurringJobRecord): Promise<void> {
    const due = !job.paused && job.nextExecution !== null ? num(job.nextExecution) : '';
    await this.ctx.run(SCRIPTS.upsertRecurring, [job.id, due, ...encodeRecurring(job)]);
  }

  async removeRecurring(id: string): Promise<boolean> {
    return Number(await this.ctx.run(SCRIPTS.removeRecurring, [id])) === 1;
  }

  async setRecurringPaused(id: string, paused: boolean): Promise<boolean> {
    return Number(await this.ctx.run(SCRIPTS.setRecurringPaused, [id, paused ? '1' : '0'])) === 1;
  }

  async getRecurring(id: string): Promise<RecurringJobRecord | null> {
    const flat = (await this.ctx.run(SCRIPTS.getRecurring, [id])) as unknown[];
    return flat.length === 0 ? null : decodeRecurring(id, flat);
  }

  async listRecurring(): Promise<RecurringJobRecord[]> {
    const reply = (await this.ctx.run(SCRIPTS.listRecurring, [])) as unknown[][];
    return reply
      .filter(([, flat]) => Array.isArray(flat) && flat.length > 0)
      .map(([id, flat]) => decodeRecurring(String(id), flat))
      .sort((a, b) => a.id.localeCompare(b.id));
  }

  async dueRecurring(now: number, limit: number): Promise<RecurringJobRecord[]> {
    if (limit <= 0) return [];
    const reply = (await this.ctx.run(SCRIPTS.dueRecurring, [num(now), num(limit)])) as unknown[][];
    return reply.map(([id, flat]) => decodeRecurring(String(id), flat));
  }

  async advanceRecurring(a: RecurringAdvance, now: number): Promise<boolean> {
    const errorMode = a.error === undefined ? '' : a.error === null ? 'n' : 's';
    const reply = await this.ctx.run(SCRIPTS.advanceRecurring, [
      a.id,
      num(a.expectNext),
      a.nextExecution === null ? '' : num(a.nextExecution),
      a.lastExecution === null ? '' : num(a.lastExecution),
      errorMode,
      a.error ?? '',
      JSON.stringify(a.jobs.map(encodeNewJob)),
      num(now),
    ]);
    return Number(reply) === 1;
  }
}
