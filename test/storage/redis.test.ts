import { randomBytes } from 'node:crypto';
import { runConformance } from '../../src/storage/conformance/index.js';
import { RedisStorage } from '../../src/storage/redis/redis-storage.js';
import { deleteKeys } from '../fixtures/redis-helpers.js';
import { serviceUrl } from '../support/services.js';

const url = serviceUrl('KILN_TEST_REDIS_URL');

if (url) {
  runConformance({
    name: 'redis',
    async open() {
      // A prefix of its own per store: tests run side by side on one Redis without seeing each other.
      const prefix = `kiln-t-${randomBytes(6).toString('hex')}:`;
      const stores: RedisStorage[] = [];
      const connect = async () => {
        const store = new RedisStorage(url, { prefix });
        stores.push(store);
        await store.migrate();
        return store;
      };
      const storage = await connect();
      return {
        storage,
        connect,
        async destroy() {
          await Promise.all(stores.map((s) => s.close()));
          await deleteKeys(url, storage.keys.pattern);
        },
      };
    },
  });
}
