import { INTERRUPTIONS_PARAMETER } from '../../../contract/index.js';
import { channelOf } from '../../options.js';
import { releaseExpiredLeases } from '../001-initial/08-release-expired-leases.js';
import { removeServers } from '../001-initial/09-remove-servers.js';
import type { RequeueSet, SchemaSql } from '../001-initial/fragments.js';
import type { Migration } from '../index.js';

/** The `interruptions` parameter as a jsonb path and key. */
const KEY = `'${INTERRUPTIONS_PARAMETER}'`;

/**
 * The interruption count a requeue after a lost run writes: the stored count plus one. A stored
 * value that is not a number counts as 0, a fraction is rounded down, and the count stops at 10⁹
 * (see `INTERRUPTIONS_PARAMETER`), so a hand-written `1e300` can never make the statement fail.
 */
const COUNT = `(coalesce(CASE WHEN jsonb_typeof(j.parameters->${KEY}) = 'number'
  THEN least(greatest(floor((j.parameters->>${KEY})::numeric), 0), 1000000000)::integer END, 0) + 1)`;

/**
 * The SET list that puts a job whose run ended without a result (lease expired, server gone)
 * back in its queue, counting the interruption in its parameters and at the end of the reason:
 * `requeueSet` of migration 1 plus the count, in the same statement.
 */
export const interruptedSet: RequeueSet = (reason, now) => {
  const counted = `${reason} || ' (interruption ' || ${COUNT} || ')'`;
  return `prev_state = j.state, state = 'enqueued', state_reason = ${counted}, state_data = NULL,
             state_at = ${now}, run_at = NULL, server_id = NULL, lease_until = NULL,
             parameters = jsonb_set(j.parameters, ARRAY[${KEY}], to_jsonb(${COUNT})),
             history = j.history || ',' || json_build_object('name', 'enqueued', 'reason', ${counted}, 'at', ${now})::text`;
};

/**
 * Migration 2: lease expiry and dead-server recovery count each job they requeue as interrupted
 * (the bound on crash loops, issue #11). The two functions of migration 1 are replaced by the
 * same statements with `interruptedSet` instead of `requeueSet`; their signatures are unchanged.
 */
export const interruptionsCounted: Migration = {
  version: 2,
  name: 'lease expiry and dead-server recovery count interruptions',
  up(schema: string): string {
    const names: SchemaSql = { s: `"${schema}"`, channel: channelOf(schema) };
    return [releaseExpiredLeases(names, interruptedSet), removeServers(names, interruptedSet)]
      .map((sql) => sql.replace('CREATE FUNCTION', 'CREATE OR REPLACE FUNCTION'))
      .join('\n');
  },
};
