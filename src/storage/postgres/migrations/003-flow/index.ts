import { channelOf } from '../../options.js';
import type { SchemaSql } from '../001-initial/fragments.js';
import type { Migration } from '../index.js';
import { flowTables } from './01-tables.js';
import { fetchJobsWithFlow } from './02-fetch-jobs.js';
import { claimLimited } from './03-claim-limited.js';
import { insertJobsWithFlow } from './04-insert-jobs.js';
import { createJobsWithFlow } from './05-create-jobs.js';
import { queueControl } from './06-queue-control.js';
import { pruneRateStarts } from './07-prune-rate-starts.js';

/** The parts of migration 3, in the order they are created (`claim_limited` before `fetch_jobs`, which calls it). */
const PARTS: ReadonlyArray<(names: SchemaSql) => string> = [
  flowTables,
  claimLimited,
  fetchJobsWithFlow,
  insertJobsWithFlow,
  createJobsWithFlow,
  queueControl,
  pruneRateStarts,
];

/**
 * Migration 3: flow control (issue #14): priority, paused queues, concurrency and rate limits per
 * queue and per key enforced by the claim, and the debounce and throttle modes of unique keys.
 * `fetch_jobs` and `insert_jobs` change their signatures (dropped and created again);
 * `create_jobs` keeps its own.
 */
export const flowControl: Migration = {
  version: 3,
  name: 'flow control: priority, paused queues, concurrency and rate limits, debounce and throttle',
  up(schema: string): string {
    const names: SchemaSql = { s: `"${schema}"`, channel: channelOf(schema) };
    return PARTS.map((part) => part(names)).join('\n') + '\n';
  },
};
