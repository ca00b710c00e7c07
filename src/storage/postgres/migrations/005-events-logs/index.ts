import { channelOf } from '../../options.js';
import type { SchemaSql } from '../001-initial/fragments.js';
import type { Migration } from '../index.js';
import { jobEvents, requeueEvents } from './job-events.js';
import { jobLogs } from './job-logs.js';

/** The parts of migration 5, in the order they are created. */
const PARTS: ReadonlyArray<(names: SchemaSql) => string> = [jobEvents, requeueEvents, jobLogs];

/** Migration 5: job events and job logs (issue #15), one part a file in this folder. */
export const eventsAndLogs: Migration = {
  version: 5,
  name: 'job events (listeners, publishing writes) and job logs',
  up(schema: string): string {
    const names: SchemaSql = { s: `"${schema}"`, channel: channelOf(schema) };
    return PARTS.map((part) => part(names)).join('\n') + '\n';
  },
};
