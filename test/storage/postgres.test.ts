import { describe, it } from 'node:test';
import { runConformance } from '../../src/storage/conformance/index.js';
import { openPostgresStore } from '../fixtures/postgres-store.js';
import { serviceUrl } from '../support/services.js';

const url = serviceUrl('KILN_TEST_PG_URL');

if (url) {
  runConformance({ name: 'postgres', open: () => openPostgresStore(url) });
} else {
  describe('postgres', () => {
    it('conformance (KILN_TEST_PG_URL not set)', { skip: 'KILN_TEST_PG_URL is not set' }, () => {});
  });
}
