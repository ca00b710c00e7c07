export { RedisStorage, type RedisStorageOptions, type RedisClient, type RedisConnection } from './redis-storage.js';
export { KILN_REDIS_DEFAULTS, DEFAULT_REDIS_URL } from './connection.js';
export { keyLayout, type KeyLayout } from './keys.js';
