import { deleteExpired } from '../001-initial/10-delete-expired.js';
import { PINNED, type SchemaSql } from '../001-initial/fragments.js';

/**
 * Job logs (issue #15). `job_log_heads` holds each job's newest line number (it keeps counting
 * past dropped lines), `job_logs` the kept lines; both keyed by the job's `seq` (never reused), so
 * a log costs nothing on `jobs` itself. `append_job_logs` appends a batch for many jobs in one
 * call (jobs in the order given: the caller sorts them by id, so two appenders lock heads in one
 * order), skipping jobs that no longer exist, and drops each job's lines beyond its newest
 * `p_max`. `delete_expired` is replaced by the same statement that also deletes the logs of the
 * jobs it deletes.
 */
export function jobLogs(names: SchemaSql): string {
  const { s } = names;
  return `
CREATE TABLE ${s}.job_log_heads (
  job_seq bigint PRIMARY KEY,
  last_seq bigint NOT NULL
);

CREATE TABLE ${s}.job_logs (
  job_seq bigint NOT NULL,
  seq bigint NOT NULL,
  at bigint NOT NULL,
  level text NOT NULL,
  message text NOT NULL,
  fields text,
  PRIMARY KEY (job_seq, seq)
);

CREATE FUNCTION ${s}.append_job_logs(p_ids text[], p_skipped integer[], p_counts integer[], p_at bigint[],
  p_levels text[], p_messages text[], p_fields text[], p_max integer)
RETURNS void
LANGUAGE plpgsql ${PINNED} AS $fn$
DECLARE
  v_off integer := 0;
  v_job bigint;
  v_last bigint;
  v_first bigint;
  v_n integer;
BEGIN
  FOR k IN 1 .. coalesce(array_length(p_ids, 1), 0) LOOP
    v_n := p_counts[k];
    SELECT j.seq INTO v_job FROM ${s}.jobs j WHERE j.id = p_ids[k];
    IF FOUND THEN
      INSERT INTO ${s}.job_log_heads AS h (job_seq, last_seq) VALUES (v_job, p_skipped[k] + v_n)
      ON CONFLICT (job_seq) DO UPDATE SET last_seq = h.last_seq + excluded.last_seq
      RETURNING h.last_seq INTO v_last;
      v_first := v_last - v_n + 1;
      IF p_skipped[k] > 0 THEN
        DELETE FROM ${s}.job_logs l WHERE l.job_seq = v_job AND l.seq < v_first;
      END IF;
      INSERT INTO ${s}.job_logs (job_seq, seq, at, level, message, fields)
      SELECT v_job, v_first + x.o - 1, x.at, x.level, x.message, x.fields
        FROM unnest(p_at[v_off + 1 : v_off + v_n], p_levels[v_off + 1 : v_off + v_n],
                    p_messages[v_off + 1 : v_off + v_n], p_fields[v_off + 1 : v_off + v_n]) WITH ORDINALITY
             AS x(at, level, message, fields, o)
       WHERE v_first + x.o - 1 > v_last - p_max;
      IF v_last > p_max THEN
        DELETE FROM ${s}.job_logs l WHERE l.job_seq = v_job AND l.seq <= v_last - p_max;
      END IF;
    END IF;
    v_off := v_off + v_n;
  END LOOP;
END
$fn$;
${deleteExpired(names, `,
  dh AS (
    DELETE FROM ${s}.job_log_heads h WHERE h.job_seq IN (SELECT d.seq FROM d)
  ),
  dl AS (
    DELETE FROM ${s}.job_logs l WHERE l.job_seq IN (SELECT d.seq FROM d)
  )`).replace('CREATE FUNCTION', 'CREATE OR REPLACE FUNCTION')}`;
}
