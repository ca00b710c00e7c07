/**
 * The chaos test of one backend: every fault it can suffer strikes, one after the other, in one
 * drain of a fresh store (see `scenario.ts`; one drain keeps the suite within its time on two
 * cores, `bench/chaos.ts` runs each fault on its own), and the run must end with 0 lost, 0 duplicate completions, every normal job
 * finished, every hostile job in its expected end state, and the servers it did not kill alive.
 * Postgres and Redis run on private servers; without their binaries the tests are skipped with a
 * notice, and under CI they fail instead.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { privateServersSkip } from '../support/private-servers.js';
import { FAULTS, openBackend, type BackendName, type ChaosBackend, type FaultName } from './backends.js';
import { TEST_SCENARIO, chaosTable, runScenario, type ChaosResult } from './scenario.js';

export function chaosSuite(name: BackendName, faults: readonly FaultName[] = FAULTS[name]): void {
  const skip = name === 'sqlite' ? false : privateServersSkip(name);
  describe(`chaos on ${name}`, { skip }, () => {
    let backend: ChaosBackend | undefined;
    const results: ChaosResult[] = [];
    before(async () => {
      backend = await openBackend(name);
    });
    after(async () => {
      await backend?.close();
      if (results.length > 0) console.log(`# chaos on ${name}\n${chaosTable(results)}`);
    });

    it(`${faults.join(', ')}: nothing lost, nothing completed twice, normal jobs finish, servers survive`, async (t) => {
      const r = await runScenario(backend!, faults, TEST_SCENARIO);
      results.push(r);
      t.diagnostic(chaosTable([r]).split('\n')[2]!);
      assert.deepEqual(r.problems, [], r.problems.join('\n'));
      assert.equal(r.lost, 0, 'no job lost');
      assert.equal(r.duplicateCompletions, 0, 'no job completed twice');
      assert.equal(r.completed, r.normal, 'every normal job finished');
      assert.ok(r.survived, 'the servers the faults did not kill survived');
    });
  });
}
