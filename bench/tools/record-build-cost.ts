/**
 * What building a claimed job's record costs, per job, the way `claimedJob` builds it (every
 * field copied by name) against the object spread it replaced (`{ ...read, state: ... }`). V8
 * takes a slow path for a spread followed by properties the source does not have; on a drain
 * that is paid once per job on the main thread, so it shows directly in jobs/s.
 *
 *   node --import tsx bench/tools/record-build-cost.ts [rounds=500]
 */
import { claimedJob, type UnclaimedFields } from '../../src/storage/claimed-job.js';
import type { FetchOptions, JobRecord } from '../../src/storage/contract/index.js';

const rounds = Number(process.argv[2] ?? 500);
const o: FetchOptions = { queues: ['default'], max: 425, serverId: 'srv-1', leaseMs: 30_000, now: Date.now() };
const batch: UnclaimedFields[] = Array.from({ length: o.max }, (_, i) => ({
  id: `job-${i}`,
  name: 'noop',
  queue: 'default',
  args: `{"i":${i}}`,
  createdAt: o.now,
  attempt: 1,
  parameters: {},
  runAt: null,
  parentId: null,
  expireAt: null,
  result: null,
  uniqueKey: null,
  priority: 0,
  concurrency: null,
  rateLimit: null,
}));

/** The form `claimedJob` had before: the read fields spread, then the claim's own. */
const spread = (read: UnclaimedFields, options: FetchOptions): JobRecord => ({
  ...read,
  state: 'processing',
  stateReason: null,
  stateData: { serverId: options.serverId },
  stateAt: options.now,
  serverId: options.serverId,
  leaseUntil: options.now + options.leaseMs,
});

function perJob(build: (read: UnclaimedFields, options: FetchOptions) => JobRecord): number {
  let kept = 0;
  const t = performance.now();
  for (let r = 0; r < rounds; r++) kept += batch.map((read) => build(read, o)).length;
  return ((performance.now() - t) * 1000) / kept;
}

for (let pass = 0; pass < 2; pass++) {
  const named = perJob(claimedJob);
  const spreadUs = perJob(spread);
  console.log(`claimedJob (fields by name): ${named.toFixed(3)} µs/job   spread form: ${spreadUs.toFixed(3)} µs/job   ratio ${(spreadUs / named).toFixed(0)}×`);
}
