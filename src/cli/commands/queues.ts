import { JobClient } from '../../client/job-client.js';
import type { QueueInfo, QueueLimitOptions } from '../../client/queues.js';
import { ValidationError } from '../../errors.js';
import type { Duration } from '../../jobs/duration.js';
import { text } from '../args.js';
import { JSON_OPTION, print, type Command, type CommandInput } from '../command.js';
import { UsageError } from '../exit.js';

const ACTIONS = ['list', 'pause', 'resume', 'limit'] as const;
type Action = (typeof ACTIONS)[number];

/** `kiln queues [list|pause|resume|limit] [<name>]`. */
export const queues: Command = {
  name: 'queues',
  args: '[list|pause|resume|limit] [<name>]',
  summary: 'list queues; pause, resume or limit one',
  details: [
    'Without an action: list, with counts, paused flags and limits. pause stops every server from',
    'taking the queue\'s jobs (running jobs finish); resume wakes them. limit sets the queue\'s',
    'limits, replacing its old ones: --concurrency 5, --rate 100/1s; with neither, removes them.',
  ].join('\n'),
  options: {
    concurrency: { type: 'string', value: 'n', help: 'limit: at most n of its jobs running at once, 1 to 100000' },
    rate: { type: 'string', value: 'max/per', help: 'limit: at most max of its jobs started per window, e.g. 100/1s, 5000/1h' },
    json: JSON_OPTION,
  },
  positionals: { min: 0, max: 2 },
  storage: 'existing',
  async run({ positionals, values, storage, logger }) {
    const [given = 'list', name] = positionals;
    if (!(ACTIONS as readonly string[]).includes(given)) {
      throw new UsageError(`kiln queues: unknown action ${JSON.stringify(given)}; use ${ACTIONS.join(', ')}`);
    }
    const action = given as Action;
    if (action !== 'limit' && (values['concurrency'] !== undefined || values['rate'] !== undefined)) {
      throw new UsageError(`kiln queues ${action}: --concurrency and --rate are for kiln queues limit <name>`);
    }
    if (action === 'list') {
      if (name !== undefined) throw new UsageError(`kiln queues list takes no name, got ${JSON.stringify(name)}`);
      const list = await new JobClient({ storage: await storage(), logger }).queues.list();
      print(values, list, () => list.map(describeQueue).join('\n') || 'no queues');
      return 0;
    }
    if (name === undefined) throw new UsageError(`kiln queues ${action} <name>: give the queue's name`);
    const limits = action === 'limit' ? limitsOf(values) : undefined;
    const client = new JobClient({ storage: await storage(), logger });
    try {
      if (limits) {
        await client.queues.setLimits(name, limits);
        console.log(`${name}: ${limits.concurrency || limits.rate ? 'limited' : 'no limits'}`);
        return 0;
      }
      const changed = await client.queues[action as 'pause' | 'resume'](name);
      console.log(`${name}: ${changed ? `${action}d` : `already ${action === 'pause' ? 'paused' : 'running'}`}`);
      return 0;
    } catch (e) {
      if (e instanceof ValidationError) throw new UsageError(`kiln queues ${action} ${name}: ${e.message}`);
      throw e;
    }
  },
};

function describeQueue(q: QueueInfo): string {
  const parts = [q.name, `${q.enqueued} enqueued`, `${q.processing} processing`];
  if (q.paused) parts.push('paused');
  if (q.concurrency !== null) parts.push(`at most ${q.concurrency} at once`);
  if (q.rate !== null) parts.push(`at most ${q.rate.max} per ${q.rate.perMs} ms`);
  return parts.join('  ');
}

/** `--concurrency n` and `--rate max/per`, as `Queues.setLimits` takes them (it checks the values). */
function limitsOf(values: CommandInput['values']): QueueLimitOptions {
  const out: QueueLimitOptions = {};
  const concurrency = text(values, 'concurrency');
  if (concurrency !== undefined) {
    if (!/^\d+$/.test(concurrency.trim())) throw new UsageError(`--concurrency must be a whole number, got ${JSON.stringify(concurrency)}`);
    out.concurrency = Number(concurrency);
  }
  const rate = text(values, 'rate');
  if (rate !== undefined) {
    const m = /^\s*(\d+)\s*\/\s*(\S+)\s*$/.exec(rate);
    if (!m) throw new UsageError(`--rate must be <max>/<per> such as 100/1s, got ${JSON.stringify(rate)}`);
    const per = /^\d+$/.test(m[2]!) ? Number(m[2]) : (m[2] as Duration);
    out.rate = { max: Number(m[1]), per };
  }
  return out;
}
