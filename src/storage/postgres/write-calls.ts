/**
 * The calls of the job store's writes that publish job events, written once for both of their
 * statements: the quick one of `jobs.ts` (guarded by `quiet()`) and the evented one of
 * `evented-writes.ts` (asking `listening()`), so the two never drift apart. `s` is the quoted schema.
 */
export function jobWriteCalls(s: string) {
  return {
    /** `create_jobs`: rows `o_i, o_id` of the jobs a unique key turned away. */
    createJobs: `${s}.create_jobs($1::jsonb, $2::bigint)`,
    insertJobs: `${s}.insert_jobs($1::text, $2::text, $3::text, $4::text, $5::text, $6::text[], $7::text, $8::bigint[],
         $9::bigint[], $10::bigint[], $11::text, $12::text, $13::text, $14::smallint[], $15::text, $16::integer[],
         $17::text, $18::integer[], $19::bigint[])`,
    /** Rows of `ClaimedRow`. */
    fetch: `${s}.fetch_jobs($1::text[], $2::integer, $3::text, $4::bigint, $5::bigint)`,
    /** The applied rows' indexes (0-based) in the round. */
    transition: `${s}.transition_jobs($1::text, $2::text, $3::text, $4::text, $5::text, $6::text[], $7::text,
         $8::bigint[], $9::text, $10::bigint[], $11::bigint[], $12::integer[], $13::text, $14::text, $15::integer[],
         $16::integer[], $17::bigint[], $18::bigint, $19::boolean)`,
    /** The UPDATE of `mergeParameters`, without a RETURNING; a condition may follow with `AND`. */
    mergeParameters: `UPDATE ${s}.jobs SET parameters = parameters || $3::jsonb
        WHERE id = $1 AND state = 'processing' AND server_id = $2`,
  };
}
