/** The Postgres backend: the storage, its options, and `migrate` for the CLI. */
export { PostgresStorage } from './postgres-storage.js';
export { migrate, migrateSchema, MIGRATIONS, type Migration } from './migrations.js';
export {
  DEFAULT_POOL_SIZE,
  DEFAULT_SCHEMA,
  type PostgresConnection,
  type PostgresLogger,
  type PostgresStorageOptions,
} from './options.js';
