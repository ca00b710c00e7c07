import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteStorage } from '../../src/index.js';
import { limitsFleetSuite } from './limits-fleet.js';

limitsFleetSuite({
  name: 'sqlite',
  async open() {
    const dir = mkdtempSync(join(tmpdir(), 'kiln-flow-sqlite-'));
    const file = join(dir, 'kiln.db');
    const storage = new SqliteStorage(file);
    await storage.migrate();
    return { storage, url: file, namespace: '-', destroy: async () => (await storage.close(), rmSync(dir, { recursive: true, force: true })) };
  },
});
