import { maxArgsBytes } from '../config.js';
import { parametersFrom } from '../jobs/args.js';
import { checkQueueName } from '../jobs/names.js';
import type { CreatingContext, JobFilter } from '../states/filters.js';
import type { CreatedJob, Json } from '../storage/contract/index.js';
import type { PreparedJob } from './job-factory.js';

/**
 * Runs the client filters' `onCreating` for one job about to be created. A filter may change its
 * queue and parameters (checked again, as the caller's were) or cancel it. Returns the reason of
 * a cancellation, else undefined; `prepared` then carries the filters' changes.
 */
export async function runCreating(filters: readonly JobFilter[], prepared: PreparedJob): Promise<string | undefined> {
  let canceled: string | undefined;
  let ctx: CreatingContext | undefined;
  for (const f of filters) {
    if (!f.onCreating) continue;
    ctx ??= {
      name: prepared.definition.name,
      queue: prepared.queue,
      args: JSON.parse(prepared.args) as Json,
      parameters: prepared.parameters,
      cancel(reason: string) {
        canceled = reason;
      },
    };
    await f.onCreating(ctx);
    if (canceled !== undefined) return canceled;
  }
  if (ctx) {
    prepared.queue = checkQueueName(ctx.queue, 'queue (set by a filter)');
    prepared.parameters = parametersFrom(ctx.parameters, 'parameters (set by a filter)', maxArgsBytes());
  }
  return undefined;
}

/** Runs the client filters' `onCreated` for a job storage created (or found by its unique key). */
export async function runCreated(filters: readonly JobFilter[], name: string, created: CreatedJob): Promise<void> {
  for (const f of filters) {
    if (f.onCreated) await f.onCreated({ jobId: created.id, name, created: created.created });
  }
}
