import { openPostgresStore } from '../fixtures/postgres-store.js';
import { serviceUrl } from '../support/services.js';
import { crashLoopSuite } from './crash-loop.js';

const base = serviceUrl('KILN_TEST_PG_URL');
if (base) {
  crashLoopSuite({
    name: 'postgres',
    async open() {
      const store = await openPostgresStore(base);
      const url = new URL(base);
      url.searchParams.set('schema', store.schema);
      return { storage: store.storage, url: url.toString(), destroy: () => store.destroy() };
    },
  });
}
