import { createHash } from 'node:crypto';
import { ACQUIRE_LOCK } from './lua/acquire-lock.js';
import { ADVANCE_RECURRING } from './lua/advance-recurring.js';
import { ANNOUNCE_LISTENER } from './lua/announce-listener.js';
import { ANNOUNCE_SERVER } from './lua/announce-server.js';
import { APPEND_JOB_LOGS } from './lua/append-job-logs.js';
import { AWAITING_READY } from './lua/awaiting-ready.js';
import { CONTINUATIONS_OF } from './lua/continuations-of.js';
import { CREATE_JOBS } from './lua/create-jobs.js';
import { DELETE_EXPIRED } from './lua/delete-expired.js';
import { DUE_RECURRING } from './lua/due-recurring.js';
import { ENQUEUE_DUE } from './lua/enqueue-due.js';
import { FETCH } from './lua/fetch.js';
import { GET_JOB } from './lua/get-job.js';
import { GET_RECURRING } from './lua/get-recurring.js';
import { HEARTBEAT } from './lua/heartbeat.js';
import { INDEX_RETRIES } from './lua/index-retries.js';
import { JOB_LOGS } from './lua/job-logs.js';
import { LIBRARY } from './lua/library.js';
import { LIST_JOBS } from './lua/list-jobs.js';
import { LIST_RECURRING } from './lua/list-recurring.js';
import { LIMIT_USAGE } from './lua/limit-usage.js';
import { LIST_SERVERS } from './lua/list-servers.js';
import { MERGE_PARAMETERS } from './lua/merge-parameters.js';
import { NEXT_DUE } from './lua/next-due.js';
import { NEXT_RATE_SLOT } from './lua/next-rate-slot.js';
import { QUEUE_HEADS } from './lua/queue-heads.js';
import { QUEUE_SETTINGS } from './lua/queue-settings.js';
import { QUEUES } from './lua/queues.js';
import { RELEASE_EXPIRED_LEASES } from './lua/release-expired-leases.js';
import { RELEASE_LOCK } from './lua/release-lock.js';
import { RELEASE_MARK } from './lua/release-mark.js';
import { REMOVE_RECURRING } from './lua/remove-recurring.js';
import { REMOVE_SERVERS } from './lua/remove-servers.js';
import { REMOVE_VANISHED } from './lua/remove-vanished.js';
import { RENEW_LEASES } from './lua/renew-leases.js';
import { SET_QUEUE_LIMITS } from './lua/set-queue-limits.js';
import { SET_QUEUE_PAUSED } from './lua/set-queue-paused.js';
import { SET_RECURRING_PAUSED } from './lua/set-recurring-paused.js';
import { STATISTICS } from './lua/statistics.js';
import { TIMELINE } from './lua/timeline.js';
import { TRANSITION } from './lua/transition.js';
import { UPSERT_RECURRING } from './lua/upsert-recurring.js';
import { VANISHED_MARKS } from './lua/vanished-marks.js';
import { WITHDRAW_LISTENER } from './lua/withdraw-listener.js';

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

/**
 * Every script Kiln runs, one body a file under `lua/`, loaded by `migrate()` and called by SHA.
 * Each body runs after `LIBRARY` (see `lua/library.ts` for the calling convention: `KEYS[1]` the
 * key prefix, `ARGV[1]` the channel, the script's own arguments from `ARGV[2]`). The reads write
 * nothing, so each sees one consistent snapshot.
 */
export const SCRIPTS = {
  // job store: the hot path and its reads
  createJobs: script('createJobs', CREATE_JOBS),
  fetch: script('fetch', FETCH),
  transition: script('transition', TRANSITION),
  renewLeases: script('renewLeases', RENEW_LEASES),
  mergeParameters: script('mergeParameters', MERGE_PARAMETERS),
  getJob: script('getJob', GET_JOB),
  continuationsOf: script('continuationsOf', CONTINUATIONS_OF),
  awaitingReady: script('awaitingReady', AWAITING_READY),
  // maintenance: sweeps, servers, locks
  enqueueDue: script('enqueueDue', ENQUEUE_DUE),
  nextDue: script('nextDue', NEXT_DUE),
  releaseExpiredLeases: script('releaseExpiredLeases', RELEASE_EXPIRED_LEASES),
  deleteExpired: script('deleteExpired', DELETE_EXPIRED),
  announceServer: script('announceServer', ANNOUNCE_SERVER),
  heartbeat: script('heartbeat', HEARTBEAT),
  removeServers: script('removeServers', REMOVE_SERVERS),
  acquireLock: script('acquireLock', ACQUIRE_LOCK),
  releaseLock: script('releaseLock', RELEASE_LOCK),
  // job events
  announceListener: script('announceListener', ANNOUNCE_LISTENER),
  withdrawListener: script('withdrawListener', WITHDRAW_LISTENER),
  // job logs
  appendJobLogs: script('appendJobLogs', APPEND_JOB_LOGS),
  jobLogs: script('jobLogs', JOB_LOGS),
  // liveness marks
  vanishedMarks: script('vanishedMarks', VANISHED_MARKS),
  removeVanished: script('removeVanished', REMOVE_VANISHED),
  releaseMark: script('releaseMark', RELEASE_MARK),
  // recurring definitions
  upsertRecurring: script('upsertRecurring', UPSERT_RECURRING),
  removeRecurring: script('removeRecurring', REMOVE_RECURRING),
  setRecurringPaused: script('setRecurringPaused', SET_RECURRING_PAUSED),
  getRecurring: script('getRecurring', GET_RECURRING),
  listRecurring: script('listRecurring', LIST_RECURRING),
  dueRecurring: script('dueRecurring', DUE_RECURRING),
  advanceRecurring: script('advanceRecurring', ADVANCE_RECURRING),
  // queue control: paused queues and limits
  setQueuePaused: script('setQueuePaused', SET_QUEUE_PAUSED),
  setQueueLimits: script('setQueueLimits', SET_QUEUE_LIMITS),
  nextRateSlot: script('nextRateSlot', NEXT_RATE_SLOT),
  // monitoring
  queueSettings: script('queueSettings', QUEUE_SETTINGS),
  limitUsage: script('limitUsage', LIMIT_USAGE),
  listJobs: script('listJobs', LIST_JOBS),
  statistics: script('statistics', STATISTICS),
  queues: script('queues', QUEUES),
  queueHeads: script('queueHeads', QUEUE_HEADS),
  timeline: script('timeline', TIMELINE),
  listServers: script('listServers', LIST_SERVERS),
  indexRetries: script('indexRetries', INDEX_RETRIES),
} as const satisfies Record<string, LuaScript>;
