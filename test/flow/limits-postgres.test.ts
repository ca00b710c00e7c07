import { openPostgresStore } from '../fixtures/postgres-store.js';
import { serviceUrl } from '../support/services.js';
import { limitsFleetSuite } from './limits-fleet.js';

const url = serviceUrl('KILN_TEST_PG_URL');
if (url) {
  limitsFleetSuite({
    name: 'postgres',
    async open() {
      const store = await openPostgresStore(url);
      return { storage: store.storage, url, namespace: store.schema, destroy: () => store.destroy() };
    },
  });
}
