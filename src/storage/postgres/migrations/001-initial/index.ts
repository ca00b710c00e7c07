import { channelOf } from '../../options.js';
import type { Migration } from '../index.js';
import { tables } from './01-tables.js';
import { createJobs } from './02-create-jobs.js';
import { insertJobs } from './03-insert-jobs.js';
import { fetchJobs } from './04-fetch-jobs.js';
import { transitionJobs } from './05-transition-jobs.js';
import { renewLeases } from './06-renew-leases.js';
import { dueJobs } from './07-due-jobs.js';
import { releaseExpiredLeases } from './08-release-expired-leases.js';
import { removeServers } from './09-remove-servers.js';
import { deleteExpired } from './10-delete-expired.js';
import { jobReads } from './11-job-reads.js';
import type { SchemaSql } from './fragments.js';

/** The parts of migration 1, in the order they are created. */
const PARTS: ReadonlyArray<(names: SchemaSql) => string> = [
  tables,
  createJobs,
  insertJobs,
  fetchJobs,
  transitionJobs,
  renewLeases,
  dueJobs,
  releaseExpiredLeases,
  removeServers,
  deleteExpired,
  jobReads,
];

/**
 * Migration 1: every table, index and function, one part a file in this folder. Every operation
 * on `jobs` is one function call (one round trip, plans pinned: see `PINNED`). Wake-ups are
 * `pg_notify` in the same statement, so a transaction's arrive on its commit.
 */
export const initialSchema: Migration = {
  version: 1,
  name: 'jobs, servers, locks, recurring, counters and their functions',
  up(schema: string): string {
    const names: SchemaSql = { s: `"${schema}"`, channel: channelOf(schema) };
    return PARTS.map((part) => part(names)).join('\n') + '\n';
  },
};
