import type { Liveness, LivenessHold } from '../contract/index.js';

/**
 * Liveness in memory, trivially: a `MemoryStorage` lives in one process with every server using
 * it, so a server's mark is the server's own existence and no mark can outlive its holder.
 * `holdLiveness` always holds (and writes nothing anyone could find stale); nothing is ever
 * found gone; there is no storage clock besides the process's own.
 */
export class MemoryLiveness implements Liveness {
  async holdLiveness(): Promise<LivenessHold> {
    return { heldSince: Date.now(), release: async () => {} };
  }

  async removeVanishedServers(): Promise<string[]> {
    return [];
  }

  async storageTime(): Promise<null> {
    return null;
  }
}
