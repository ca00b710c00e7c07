import { JobClient } from '../../client/job-client.js';
import { ValidationError } from '../../errors.js';
import { defineJob, registeredJob, registeredJobs, type AnyJobDefinition } from '../../jobs/define-job.js';
import { parseDuration } from '../../jobs/duration.js';
import type { ScheduleWhen } from '../../jobs/job-options.js';
import type { Json } from '../../storage/contract/index.js';
import { text } from '../args.js';
import type { Command, CommandInput } from '../command.js';
import { UsageError } from '../exit.js';
import { importJobsModule } from '../jobs-module.js';

/** `kiln requeue <id>...` and `kiln delete <id>...`: through the client, so the state machine applies. */
function jobAction(name: 'requeue' | 'delete'): Command {
  return {
    name,
    args: '<id>...',
    summary: name === 'requeue' ? 'put jobs back in their queue' : 'delete jobs (a running one is aborted)',
    details: 'Exits 1 when a job was not changed (missing, or already in that state).',
    options: {},
    positionals: { min: 1, max: 1000 },
    storage: 'existing',
    async run({ positionals, storage, logger }) {
      const client = new JobClient({ storage: await storage(), logger });
      let unchanged = 0;
      for (const id of positionals) {
        const ok = await (name === 'requeue' ? client.requeue(id) : client.delete(id)).catch((e: unknown) => {
          if (e instanceof ValidationError) return false;
          throw e;
        });
        console.log(`${id}: ${ok ? `${name}d` : 'not changed (missing, or already in that state)'}`);
        if (!ok) unchanged++;
      }
      return unchanged === 0 ? 0 : 1;
    },
  };
}

export const requeue = jobAction('requeue');
export const remove = jobAction('delete');

/** `kiln enqueue <name>`: a job for a server that knows it; the CLI process need not. */
export const enqueue: Command = {
  name: 'enqueue',
  args: '<name>',
  summary: 'create a job by name, now or later; prints its id',
  details: [
    'The job need not be defined here: a server that knows <name> runs it. Without --jobs the',
    "job goes to --queue (default 'default') and its arguments are not checked against a schema;",
    "with --jobs, the module's definition gives the default queue and checks the arguments.",
  ].join('\n'),
  options: {
    args: { type: 'string', value: 'json', help: 'the arguments as JSON, e.g. \'{"to":"a@example.com"}\' (default: none)' },
    queue: { type: 'string', value: 'name', help: "the queue (default: the job's own with --jobs, else 'default')" },
    delay: { type: 'string', value: 'duration', help: 'run after this long: 30s, 10m, 2h, 1d' },
    at: { type: 'string', value: 'time', help: 'run at this ISO 8601 time, e.g. 2026-12-24T18:00:00Z' },
    jobs: { type: 'string', value: 'module', help: 'a module that defines the job with defineJob() (JavaScript, or TypeScript under tsx)' },
  },
  positionals: { min: 1, max: 1 },
  storage: 'existing',
  async run({ positionals, values, storage, logger }) {
    const name = positionals[0]!;
    const args = parseJsonArgs(text(values, 'args'));
    const when = scheduleOf(values);
    const queue = text(values, 'queue');
    const job = await jobNamed(name, text(values, 'jobs'));
    const client = new JobClient({ storage: await storage(), logger });
    const options = queue === undefined ? {} : { queue };
    const id = when ? await client.schedule(job, args, when, options) : await client.enqueue(job, args, options);
    console.log(id);
    return 0;
  },
};

function parseJsonArgs(given: string | undefined): Json | undefined {
  if (given === undefined) return undefined;
  try {
    return JSON.parse(given) as Json;
  } catch (e) {
    throw new UsageError(`--args is not JSON (${e instanceof Error ? e.message : String(e)}): ${given.length > 80 ? `${given.slice(0, 79)}…` : given}`);
  }
}

function scheduleOf(values: CommandInput['values']): ScheduleWhen | undefined {
  const delay = text(values, 'delay');
  const at = text(values, 'at');
  if (delay !== undefined && at !== undefined) throw new UsageError('give --delay or --at, not both');
  if (delay !== undefined) {
    try {
      parseDuration(delay, '--delay');
    } catch (e) {
      throw new UsageError(e instanceof Error ? e.message : String(e));
    }
    return { delay: delay as `${number}s` };
  }
  if (at !== undefined) {
    const time = /^\d{4}-\d\d-\d\d(T|$)/.test(at) ? Date.parse(at) : Number.NaN;
    if (!Number.isFinite(time)) throw new UsageError(`--at must be an ISO 8601 time such as 2026-12-24T18:00:00Z, got ${JSON.stringify(at)}`);
    return { at: time };
  }
  return undefined;
}

/** The definition from `--jobs`, else a stand-in that only carries the name. */
async function jobNamed(name: string, jobsModule: string | undefined): Promise<AnyJobDefinition> {
  if (jobsModule !== undefined) {
    await importJobsModule(jobsModule);
    const job = registeredJob(name);
    if (!job) {
      const known = registeredJobs().map((j) => j.name).join(', ') || 'none';
      throw new UsageError(`${jobsModule} defines no job named ${JSON.stringify(name)} (it defines: ${known})`);
    }
    return job;
  }
  // Known in this process (a test, or a module imported before): the real definition.
  const known = registeredJob(name);
  if (known) return known;
  try {
    return defineJob<unknown, never>({
      name,
      run: () => {
        throw new Error(`job ${name} was defined by the kiln command only to enqueue it`);
      },
    });
  } catch (e) {
    throw new UsageError(`kiln enqueue <name>: ${e instanceof Error ? e.message : String(e)}`);
  }
}
