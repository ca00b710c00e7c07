import { JobClient } from '../../client/job-client.js';
import { ValidationError } from '../../errors.js';
import { JSON_OPTION, print, type Command } from '../command.js';
import { UsageError } from '../exit.js';

const ACTIONS = ['list', 'trigger', 'pause', 'resume', 'remove'] as const;
type Action = (typeof ACTIONS)[number];

/** `kiln recurring [list|trigger|pause|resume|remove] [id]`. */
export const recurring: Command = {
  name: 'recurring',
  args: '[list|trigger|pause|resume|remove] [<id>]',
  summary: 'list recurring jobs; trigger, pause, resume or remove one',
  details: 'Without an action: list. trigger enqueues a run now and prints its job id.',
  options: { json: JSON_OPTION },
  positionals: { min: 0, max: 2 },
  storage: 'existing',
  async run({ positionals, values, storage, logger }) {
    const [given = 'list', id] = positionals;
    if (!(ACTIONS as readonly string[]).includes(given)) {
      throw new UsageError(`kiln recurring: unknown action ${JSON.stringify(given)}; use ${ACTIONS.join(', ')}`);
    }
    const action = given as Action;
    if (action === 'list') {
      if (id !== undefined) throw new UsageError(`kiln recurring list takes no id, got ${JSON.stringify(id)}`);
      const list = await new JobClient({ storage: await storage(), logger }).recurring.list();
      print(values, list, () =>
        list
          .map((r) => `${r.id}  ${r.cron} (${r.timeZone})  ${r.paused ? 'paused' : `next ${r.nextExecution ? new Date(r.nextExecution).toISOString() : '-'}`}  last ${r.lastJobState ?? '-'}`)
          .join('\n') || 'no recurring jobs',
      );
      return 0;
    }
    if (id === undefined) throw new UsageError(`kiln recurring ${action} <id>: give the recurring job's id`);
    const client = new JobClient({ storage: await storage(), logger });
    try {
      if (action === 'trigger') {
        console.log(`enqueued job ${await client.recurring.trigger(id)}`);
        return 0;
      }
      const ok = await client.recurring[action](id);
      console.log(ok ? `${id}: ${action}d` : `${id}: no such recurring job`);
      return ok ? 0 : 1;
    } catch (e) {
      if (e instanceof ValidationError) throw new UsageError(`kiln recurring ${action} ${id}: ${e.problem}`);
      throw e;
    }
  },
};
