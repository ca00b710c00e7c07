import { maxArgsBytes } from '../config.js';
import { ValidationError } from '../errors.js';
import { checkSize, toJsonText, validateWithSchema } from '../jobs/args.js';
import { isJobDefinition, type AnyJobDefinition } from '../jobs/define-job.js';
import { newJobId } from '../jobs/ids.js';
import type { Json, NewJob, StateEntry } from '../storage/contract/index.js';

/** A job being created, validated and serialized. */
export interface PreparedJob {
  definition: AnyJobDefinition;
  queue: string;
  args: string;
  parameters: Record<string, Json>;
}

/**
 * Validates arguments (JSON, the job's schema, the size limit) and builds the rows storage
 * inserts. Shared by `JobClient`, `RecurringJobs` and the recurring scheduler, so every way of
 * creating a job checks the same things.
 */
export async function prepareJob(
  job: AnyJobDefinition,
  args: unknown,
  queue: string | undefined,
  parameters: Record<string, Json>,
  field: string,
): Promise<PreparedJob> {
  if (!isJobDefinition(job)) throw new ValidationError('job', 'must be a job made by defineJob()');
  // JSON first: its walk bounds the depth, so a schema library never recurses into 3,000 levels.
  const text = toJsonText(args, field);
  checkSize(text, field, maxArgsBytes());
  if (job.schema) await validateWithSchema(job.schema, args, field);
  return { definition: job, queue: queue ?? job.queue, args: text, parameters: { ...parameters } };
}

export function buildJob(
  p: { definition: { name: string }; queue: string; args: string; parameters: Record<string, Json> },
  state: StateEntry,
  now: number,
  placement: { runAt?: number; parentId?: string } = {},
): NewJob {
  const job: NewJob = {
    id: newJobId(now),
    name: p.definition.name,
    queue: p.queue,
    args: p.args,
    state,
    createdAt: now,
    parameters: p.parameters,
  };
  if (placement.runAt !== undefined) job.runAt = placement.runAt;
  if (placement.parentId !== undefined) job.parentId = placement.parentId;
  return job;
}
