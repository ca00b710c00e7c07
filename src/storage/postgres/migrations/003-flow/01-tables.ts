import type { SchemaSql } from '../001-initial/fragments.js';

/**
 * Flow control's columns, indexes and tables (issue #14).
 *
 * - On `jobs`: `priority`, the job's own limits (`concurrency_*`, `rate_*`) and `limited`, true
 *   when the job carries either. The fetch index becomes (queue, limited, priority DESC, seq): the
 *   plain path reads `limited = false` in claim order straight off it, as it read (queue, seq)
 *   before, and a claim finds a queue's limited jobs (or learns there are none) with one probe.
 * - `jobs_running_keys` counts the processing jobs of a concurrency key; `jobs_rate` lists the
 *   rate keys in use (the dashboard); `jobs_throttle` finds a throttle window's holder whatever
 *   its state. Each holds only jobs that carry what it indexes, so plain jobs never enter them.
 * - `queues`: one row per paused or limited queue (none for a running, unlimited queue), so a
 *   claim pays one primary-key probe of an empty or tiny table for a queue without settings.
 * - `rate_starts`: the log of starts of each rate key (`scope` 0) and rate-limited queue (`scope`
 *   1), pruned to the window whenever the key starts a job, and past the longest window by
 *   expiry maintenance (`prune_rate_starts`).
 */
export function flowTables({ s }: SchemaSql): string {
  return `
ALTER TABLE ${s}.jobs
  ADD COLUMN priority smallint NOT NULL DEFAULT 0,
  ADD COLUMN limited boolean NOT NULL DEFAULT false,
  ADD COLUMN concurrency_key text COLLATE "C",
  ADD COLUMN concurrency_limit integer,
  ADD COLUMN rate_key text COLLATE "C",
  ADD COLUMN rate_max integer,
  ADD COLUMN rate_per_ms bigint;

DROP INDEX ${s}.jobs_enqueued;
CREATE INDEX jobs_enqueued ON ${s}.jobs (queue, limited, priority DESC, seq) WHERE state = 'enqueued';
CREATE INDEX jobs_running_keys ON ${s}.jobs (concurrency_key) WHERE concurrency_key IS NOT NULL AND state = 'processing';
CREATE INDEX jobs_rate ON ${s}.jobs (rate_key) WHERE rate_key IS NOT NULL AND state IN ('enqueued', 'processing');
CREATE INDEX jobs_throttle ON ${s}.jobs (unique_key, unique_until) WHERE unique_key IS NOT NULL AND unique_until IS NOT NULL;

CREATE TABLE ${s}.queues (
  queue text COLLATE "C" PRIMARY KEY,
  paused boolean NOT NULL DEFAULT false,
  concurrency integer,
  rate_max integer,
  rate_per_ms bigint
);

CREATE TABLE ${s}.rate_starts (
  scope smallint NOT NULL,
  key text COLLATE "C" NOT NULL,
  at bigint NOT NULL
);
CREATE INDEX rate_starts_key ON ${s}.rate_starts (scope, key, at);`;
}
