import { channelOf } from '../../options.js';
import type { SchemaSql } from '../001-initial/fragments.js';
import { INSERTED_AT_ONCE, createJobsWithFlow } from '../003-flow/05-create-jobs.js';
import type { Migration } from '../index.js';

/**
 * Migration 7: `create_jobs` inserts a debounced call that finds no pending holder at once, so
 * that debounced calls of one key in one batch behave as separate calls do: one job, the last
 * call's arguments and start (see `INSERTED_AT_ONCE`). Before, the batch's first call won.
 */
export const debounceInBatch: Migration = {
  version: 7,
  name: 'debounced calls of one key in one batch keep the last arguments',
  up(schema: string): string {
    const names: SchemaSql = { s: `"${schema}"`, channel: channelOf(schema) };
    return `${createJobsWithFlow(names, INSERTED_AT_ONCE)}\n`;
  },
};
