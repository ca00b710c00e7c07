import { randomBytes } from 'node:crypto';
import { RedisStorage } from '../../src/storage/redis/index.js';
import { deleteKeys } from '../fixtures/redis-helpers.js';
import { serviceUrl } from '../support/services.js';
import { limitsFleetSuite } from './limits-fleet.js';

const url = serviceUrl('KILN_TEST_REDIS_URL');
if (url) {
  limitsFleetSuite({
    name: 'redis',
    async open() {
      const prefix = `kiln-flow-${randomBytes(6).toString('hex')}:`;
      const storage = new RedisStorage(url, { prefix });
      return { storage, url, namespace: prefix, destroy: async () => (await storage.close(), await deleteKeys(url, `${prefix}*`)) };
    },
  });
}
