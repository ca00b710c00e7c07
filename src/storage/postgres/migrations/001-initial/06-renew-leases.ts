import { PINNED, type SchemaSql } from './fragments.js';

/** `renew_leases`: extends the leases a server still holds; returns their ids. */
export function renewLeases({ s }: SchemaSql): string {
  return `
CREATE FUNCTION ${s}.renew_leases(p_server text, p_ids text[], p_until bigint)
RETURNS SETOF text
LANGUAGE plpgsql ${PINNED} AS $fn$
BEGIN
  RETURN QUERY
    UPDATE ${s}.jobs j SET lease_until = p_until
     WHERE j.id = ANY (p_ids) AND j.state = 'processing' AND j.server_id = p_server
    RETURNING j.id::text;
END
$fn$;`;
}
