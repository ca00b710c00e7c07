import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { BackgroundJobServer, MemoryStorage, silentLogger, type LivenessHold } from '../../src/index.js';
import { LIVENESS_REJOIN_GRACE_MS } from '../../src/server/defaults.js';
import { waitFor } from '../support/wait.js';

/**
 * A memory storage whose liveness mark the test controls, as a networked backend's would behave
 * when its connection drops and is taken again; it counts the watchdog's reads of the mark and
 * its liveness checks.
 */
class WatchedStorage extends MemoryStorage {
  heldSince: number | null = Date.now();
  reads = 0;
  checks = 0;
  released = 0;

  override async holdLiveness(): Promise<LivenessHold | null> {
    const self = this;
    return {
      get heldSince() {
        self.reads++;
        return self.heldSince;
      },
      release: async () => void this.released++,
    };
  }

  override async removeVanishedServers(now: number, checkerId: string): Promise<string[]> {
    this.checks++;
    return super.removeVanishedServers(now, checkerId);
  }
}

describe('the watchdog and its own liveness mark', () => {
  it('judges others only while its own mark is held, waits the rejoin grace after retaking it, and releases it at dispose', async () => {
    const storage = new WatchedStorage();
    const server = new BackgroundJobServer({ storage, livenessCheckInterval: 10, logger: silentLogger });
    await server.start();
    try {
      await waitFor('checks while the mark is held', () => storage.checks >= 3);

      const quiet = async (what: string) => {
        const checks = storage.checks;
        const reads = storage.reads;
        await waitFor(`five ticks ${what}`, () => storage.reads >= reads + 5);
        assert.equal(storage.checks, checks, `no check ${what}`);
      };
      storage.heldSince = null;
      await quiet('while its own mark is lost (the storage may have restarted)');
      storage.heldSince = Date.now();
      await quiet('right after its mark was taken again: the others are taking theirs');
      storage.heldSince = Date.now() - LIVENESS_REJOIN_GRACE_MS;
      const checks = storage.checks;
      await waitFor('checks again once the grace passed', () => storage.checks >= checks + 3);
    } finally {
      await server.dispose();
    }
    assert.equal(storage.released, 1);
  });

  it('a server on a storage without liveness marks checks nothing and relies on the timeouts', async () => {
    const storage = new (class extends WatchedStorage {
      override async holdLiveness(): Promise<null> {
        return null;
      }
    })();
    const server = new BackgroundJobServer({ storage, livenessCheckInterval: 10, serverCheckInterval: 10, logger: silentLogger });
    let timeouts = 0;
    const removeDeadServers = storage.removeDeadServers.bind(storage);
    storage.removeDeadServers = async (before, now) => (timeouts++, removeDeadServers(before, now));
    await server.start();
    try {
      await waitFor('the timeout watchdog to run', () => timeouts >= 5);
      assert.equal(storage.checks, 0);
    } finally {
      await server.dispose();
    }
  });
});
