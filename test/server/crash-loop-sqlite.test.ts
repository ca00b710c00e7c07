import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteStorage, silentLogger } from '../../src/index.js';
import { crashLoopSuite } from './crash-loop.js';

crashLoopSuite({
  name: 'sqlite',
  async open() {
    const dir = mkdtempSync(join(tmpdir(), 'kiln-crash-loop-'));
    const storage = new SqliteStorage(join(dir, 'kiln.db'), { logger: silentLogger });
    return { storage, url: storage.path, destroy: async () => (await storage.close(), rmSync(dir, { recursive: true, force: true })) };
  },
});
