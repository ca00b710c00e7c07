import { createHash } from 'node:crypto';
import * as jobs from './lua/jobs.js';
import { LIBRARY } from './lua/library.js';
import * as reads from './lua/reads.js';
import * as recurring from './lua/recurring.js';
import * as servers from './lua/servers.js';

/**
 * One Lua script: the shared library followed by one body, and its SHA1 for EVALSHA. The Lua
 * text lives in TypeScript modules (not `.lua` files) so `tsc` ships it in `dist/` with no
 * loader or copy step.
 */
export interface LuaScript {
  readonly name: string;
  readonly lua: string;
  readonly sha: string;
}

function script(name: string, body: string): LuaScript {
  const lua = `${LIBRARY}\n-- ${name}\n${body}`;
  return { name, lua, sha: createHash('sha1').update(lua).digest('hex') };
}

/** Every script Kiln runs, loaded by `migrate()` and called by SHA. */
export const SCRIPTS = {
  createJobs: script('createJobs', jobs.CREATE_JOBS),
  fetch: script('fetch', jobs.FETCH),
  transition: script('transition', jobs.TRANSITION),
  renewLeases: script('renewLeases', jobs.RENEW_LEASES),
  mergeParameters: script('mergeParameters', jobs.MERGE_PARAMETERS),
  enqueueDue: script('enqueueDue', jobs.ENQUEUE_DUE),
  releaseExpiredLeases: script('releaseExpiredLeases', jobs.RELEASE_EXPIRED_LEASES),
  deleteExpired: script('deleteExpired', jobs.DELETE_EXPIRED),
  getJob: script('getJob', reads.GET_JOB),
  continuationsOf: script('continuationsOf', reads.CONTINUATIONS_OF),
  awaitingReady: script('awaitingReady', reads.AWAITING_READY),
  listJobs: script('listJobs', reads.LIST_JOBS),
  statistics: script('statistics', reads.STATISTICS),
  queues: script('queues', reads.QUEUES),
  nextDue: script('nextDue', reads.NEXT_DUE),
  timeline: script('timeline', reads.TIMELINE),
  announceServer: script('announceServer', servers.ANNOUNCE_SERVER),
  heartbeat: script('heartbeat', servers.HEARTBEAT),
  listServers: script('listServers', servers.LIST_SERVERS),
  removeServers: script('removeServers', servers.REMOVE_SERVERS),
  acquireLock: script('acquireLock', servers.ACQUIRE_LOCK),
  releaseLock: script('releaseLock', servers.RELEASE_LOCK),
  upsertRecurring: script('upsertRecurring', recurring.UPSERT_RECURRING),
  removeRecurring: script('removeRecurring', recurring.REMOVE_RECURRING),
  setRecurringPaused: script('setRecurringPaused', recurring.SET_RECURRING_PAUSED),
  getRecurring: script('getRecurring', recurring.GET_RECURRING),
  listRecurring: script('listRecurring', recurring.LIST_RECURRING),
  dueRecurring: script('dueRecurring', recurring.DUE_RECURRING),
  advanceRecurring: script('advanceRecurring', recurring.ADVANCE_RECURRING),
} as const satisfies Record<string, LuaScript>;
