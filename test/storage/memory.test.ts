import { MemoryStorage } from '../../src/storage/memory/index.js';
import { runConformance } from '../../src/storage/conformance/index.js';

runConformance({
  name: 'memory',
  async open() {
    const storage = new MemoryStorage();
    return {
      storage,
      // One process, one store: every "connection" is the same object.
      connect: async () => storage,
      destroy: () => storage.close(),
    };
  },
});
