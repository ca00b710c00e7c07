import { STATE_NAMES, type StateName } from '../../storage/contract/index.js';
import { text, wholeNumber } from '../args.js';
import { JSON_OPTION, print, type Command } from '../command.js';
import { UsageError } from '../exit.js';

/** `kiln stats`: counts per state, queues, servers, recurring jobs. */
export const stats: Command = {
  name: 'stats',
  args: '',
  summary: 'counts per state and queue, lifetime totals, servers',
  options: { json: JSON_OPTION },
  positionals: { min: 0, max: 0 },
  storage: 'existing',
  async run({ values, storage }) {
    const s = await storage();
    const [statistics, queues, servers] = await Promise.all([s.statistics(), s.queues(), s.listServers()]);
    print(values, { stats: statistics, queues, servers }, () =>
      [
        ...STATE_NAMES.map((state) => `${state.padEnd(11)} ${statistics.states[state]}`),
        `succeeded in all: ${statistics.succeededTotal}, failed attempts in all: ${statistics.failedTotal}`,
        `queues: ${queues.map((q) => `${q.queue} (${q.enqueued} enqueued, ${q.processing} processing)`).join(', ') || 'none'}`,
        `servers: ${servers.map((server) => `${server.name} (${server.workerCount} workers)`).join(', ') || 'none'}`,
        `recurring jobs: ${statistics.recurring}`,
      ].join('\n'),
    );
    return 0;
  },
};

/** `kiln jobs <state>`: a page of one state's jobs. */
export const jobs: Command = {
  name: 'jobs',
  args: '<state>',
  summary: 'list the jobs in a state',
  details: `<state> is one of ${STATE_NAMES.join(', ')}; 'retries' lists the scheduled jobs waiting for an automatic retry.`,
  options: {
    queue: { type: 'string', value: 'name', help: 'only jobs of this queue' },
    search: { type: 'string', value: 'text', help: 'job id prefix or job name substring' },
    limit: { type: 'string', value: 'n', help: 'at most n jobs, 1 to 500 (default 20)' },
    json: JSON_OPTION,
  },
  positionals: { min: 1, max: 1 },
  storage: 'existing',
  async run({ positionals, values, storage }) {
    const asked = positionals[0]!;
    const retries = asked === 'retries';
    if (!retries && !STATE_NAMES.includes(asked as StateName)) {
      throw new UsageError(`kiln jobs <state>: state must be one of ${STATE_NAMES.join(', ')} or retries, got ${JSON.stringify(asked)}`);
    }
    const state: StateName = retries ? 'scheduled' : (asked as StateName);
    const limit = wholeNumber(values, 'limit', 20, 1, 500);
    const queue = text(values, 'queue');
    const search = text(values, 'search');
    const page = await (await storage()).listJobs({
      state,
      offset: 0,
      limit,
      ...(retries ? { retriesOnly: true } : {}),
      ...(queue ? { queue } : {}),
      ...(search ? { search } : {}),
    });
    print(values, page, () =>
      [`${page.total} ${asked} job(s)`, ...page.jobs.map((j) => `${j.id}  ${j.name}  ${j.queue}  ${j.stateReason ?? ''}`.trimEnd())].join('\n'),
    );
    return 0;
  },
};

/** `kiln show <id>`: one job with its history. */
export const show: Command = {
  name: 'show',
  args: '<id>',
  summary: 'a job with its arguments and history',
  options: { json: JSON_OPTION },
  positionals: { min: 1, max: 1 },
  storage: 'existing',
  async run({ positionals, values, storage }) {
    const id = positionals[0]!;
    if (id.length === 0 || id.length > 100) throw new UsageError(`kiln show <id>: ${JSON.stringify(id)} is not a job id`);
    const job = await (await storage()).getJob(id);
    if (!job) throw new UsageError(`no job ${id} (it never existed, or it expired after its retention)`);
    print(values, job, () =>
      [
        `${job.id}  ${job.name}  queue ${job.queue}  ${job.state}  attempt ${job.attempt}`,
        `args: ${job.args}`,
        ...(job.result !== null ? [`result: ${job.result}`] : []),
        ...job.history.map((h) => `  ${new Date(h.at).toISOString()}  ${h.name.padEnd(10)} ${h.reason ?? ''}`.trimEnd()),
      ].join('\n'),
    );
    return 0;
  },
};
