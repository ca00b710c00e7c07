import { randomBytes } from 'node:crypto';
import { silentLogger } from '../../src/index.js';
import { RedisStorage } from '../../src/storage/redis/index.js';
import { deleteKeys } from '../fixtures/redis-helpers.js';
import { serviceUrl } from '../support/services.js';
import { crashLoopSuite } from './crash-loop.js';

const base = serviceUrl('KILN_TEST_REDIS_URL');
if (base) {
  crashLoopSuite({
    name: 'redis',
    async open() {
      const prefix = `kiln-crash-loop-${randomBytes(6).toString('hex')}:`;
      const storage = new RedisStorage(base, { prefix, logger: silentLogger });
      const url = new URL(base);
      url.searchParams.set('prefix', prefix);
      return { storage, url: url.toString(), destroy: async () => (await storage.close(), await deleteKeys(base, `${prefix}*`)) };
    },
  });
}
