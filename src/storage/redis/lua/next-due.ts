/** Returns { id, runAt } of the earliest scheduled job, or {}. */
export const NEXT_DUE = String.raw`
return redis.call('ZRANGE', P .. 'scheduled', 0, 0, 'WITHSCORES')
`;
