import { initialSchema } from './001-initial/index.js';
import { interruptionsCounted } from './002-interruptions/index.js';
import { flowControl } from './003-flow/index.js';
import { livenessMarks } from './004-liveness/index.js';
import { eventsAndLogs } from './005-events-logs/index.js';
import { claimCursor } from './006-claim-cursor/index.js';
import { debounceInBatch } from './007-debounce-batch/index.js';

/**
 * One step of Kiln's Postgres schema. Each runs once, in order, inside the transaction of
 * `migrateSchema` (./runner.ts), and is recorded in `<schema>.migrations`. A migration is never
 * edited once released: a change is a new migration (`CREATE OR REPLACE FUNCTION`, `ALTER
 * TABLE`) in a new numbered file or folder here (`002-….ts`), added to `MIGRATIONS`.
 */
export interface Migration {
  version: number;
  name: string;
  /** The SQL (several statements) for a schema name already checked by `checkSchema`. */
  up(schema: string): string;
}

/** Every migration, in order. */
export const MIGRATIONS: readonly Migration[] = [initialSchema, interruptionsCounted, flowControl, livenessMarks, eventsAndLogs, claimCursor, debounceInBatch];
