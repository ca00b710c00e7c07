import type { Command } from '../command.js';
import { enqueue, remove, requeue } from './act.js';
import { jobs, show, stats } from './read.js';
import { queues } from './queues.js';
import { recurring } from './recurring.js';
import { dashboard, migrate, server } from './run.js';

/** Every `kiln` command, in the order `kiln help` lists them. */
export const COMMANDS: readonly Command[] = [server, dashboard, migrate, stats, jobs, show, enqueue, requeue, remove, recurring, queues];

export function commandNamed(name: string): Command | undefined {
  return COMMANDS.find((c) => c.name === name);
}
