import { JOB_CREATION } from './job-creation.js';

/** ARGV[2] = JSON array of encoded jobs, ARGV[3] = now. Returns per job '' (created) or the holder's id. */
export const CREATE_JOBS = JOB_CREATION + String.raw`
local out = createJobs(cjson.decode(ARGV[2]), ARGV[3])
if out.err then return out end
flush()
return out
`;
