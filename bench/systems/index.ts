import type { SystemSpec } from '../system.js';
import { bullmq } from './bullmq.js';
import { graphileWorker, graphileWorkerBatched } from './graphile-worker.js';
import { kilnPostgres, kilnPostgresBatch, kilnRedis, kilnSqlite } from './kiln.js';
import { pgBoss } from './pg-boss.js';

/** Every system, in table column order. */
export const SYSTEMS: readonly SystemSpec[] = [kilnSqlite, kilnPostgres, kilnPostgresBatch, graphileWorker, graphileWorkerBatched, pgBoss, kilnRedis, bullmq];

export function systemById(id: string): SystemSpec {
  const s = SYSTEMS.find((x) => x.id === id);
  if (!s) throw new Error(`unknown system ${id}; known: ${SYSTEMS.map((x) => x.id).join(', ')}`);
  return s;
}
