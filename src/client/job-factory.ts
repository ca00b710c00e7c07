import { maxArgsBytes } from '../config.js';
import { ValidationError } from '../errors.js';
import { checkSize, toJsonText, validateWithSchema } from '../jobs/args.js';
import { isJobDefinition, type AnyJobDefinition } from '../jobs/define-job.js';
import { limitsOf } from '../jobs/flow-control.js';
import { newJobId } from '../jobs/ids.js';
import type { Json, NewJob, StateEntry } from '../storage/contract/index.js';
import { DEFAULT_PRIORITY } from '../storage/contract/index.js';

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

/**
 * The row storage inserts for a prepared job. When `p.definition` is a job definition (not just a
 * recurring record naming one), the job gets its limits (see `limitsOf`, which may throw a
 * `ValidationError` from a key function: call this before writing anything) and its priority:
 * `priority` if given, else the definition's default.
 */
export function buildJob(
  p: { definition: AnyJobDefinition | { name: string }; queue: string; args: string; parameters: Record<string, Json> },
  state: StateEntry,
  now: number,
  placement: { runAt?: number; parentId?: string } = {},
  priority?: number,
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
  const definition = isJobDefinition(p.definition) ? p.definition : undefined;
  const chosen = priority ?? definition?.priority ?? DEFAULT_PRIORITY;
  if (chosen !== DEFAULT_PRIORITY) job.priority = chosen;
  if (definition) Object.assign(job, limitsOf(definition, p.args));
  return job;
}
