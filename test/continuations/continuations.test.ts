import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { BackgroundJobServer, JobClient, MemoryStorage, ValidationError, defineJob, silentLogger } from '../../src/index.js';
import { deferred, waitFor } from '../support/wait.js';

const storage = new MemoryStorage();
const client = new JobClient({ storage, logger: silentLogger });
const ran: Array<{ tag: string; parentResult: unknown }> = [];
const step = defineJob({
  name: 'cont-step',
  run: (tag: string, ctx) => {
    ran.push({ tag, parentResult: ctx.parentResult });
    return `${tag}-done`;
  },
});
const gate = deferred();
const gated = defineJob({ name: 'cont-gated', run: async () => { await gate.promise; return 'gated-done'; } });
const server = new BackgroundJobServer({ storage, jobs: [step, gated], logger: silentLogger, pollInterval: 20, schedulePollingInterval: 20 });
after(() => server.dispose());

const stateOf = async (id: string) => (await client.get(id))?.state;

describe('continuations', () => {
  it('a chain runs in order, each reading its parent result', async () => {
    await server.start();
    const a = await client.enqueue(step, 'a');
    const b = await client.continueWith(a, step, 'b');
    const c = await client.continueWith(b, step, 'c');
    await waitFor('chain done', async () => (await stateOf(c)) === 'succeeded');
    const order = ran.filter((r) => ['a', 'b', 'c'].includes(r.tag));
    assert.deepEqual(order, [
      { tag: 'a', parentResult: undefined },
      { tag: 'b', parentResult: 'a-done' },
      { tag: 'c', parentResult: 'b-done' },
    ]);
    const cj = await client.get(c);
    assert.deepEqual(cj?.history.map((h) => h.name), ['awaiting', 'enqueued', 'processing', 'succeeded']);
    assert.deepEqual((await client.get(a))?.continuations, [b]);
  });

  it('fan-out: several continuations of one parent all run after it; they wait while it runs', async () => {
    const p = await client.enqueue(gated, undefined);
    const kids = await Promise.all(['x', 'y', 'z'].map((t) => client.continueWith(p, step, t)));
    await waitFor('parent running', async () => (await stateOf(p)) === 'processing');
    for (const k of kids) assert.equal(await stateOf(k), 'awaiting');
    gate.resolve();
    await waitFor('all children done', async () => (await Promise.all(kids.map(stateOf))).every((s) => s === 'succeeded'));
    assert.ok(ran.filter((r) => ['x', 'y', 'z'].includes(r.tag)).every((r) => r.parentResult === 'gated-done'));
  });

  it('conditions: succeeded / deleted / finished; a condition that can no longer hold deletes with a reason', async () => {
    const scheduled = await client.schedule(step, 'never', { delay: '1h' });
    const onSuccess = await client.continueWith(scheduled, step, 'on-success');
    const onDeleted = await client.continueWith(scheduled, step, 'on-deleted', { on: 'deleted' });
    const onFinished = await client.continueWith(scheduled, step, 'on-finished', { on: 'finished' });
    await client.delete(scheduled);
    await waitFor('continuations settled', async () => (await stateOf(onSuccess)) === 'deleted' && (await stateOf(onFinished)) === 'succeeded');
    await waitFor('on-deleted ran', async () => (await stateOf(onDeleted)) === 'succeeded');
    assert.match((await client.get(onSuccess))?.stateReason ?? '', /was deleted; this continuation runs only when it is succeeded/);

    const done = await client.enqueue(step, 'parent-ok');
    await waitFor('parent ok', async () => (await stateOf(done)) === 'succeeded');
    const wantsDeleted = await client.continueWith(done, step, 'wants-deleted', { on: 'deleted' });
    const late = await client.continueWith(done, step, 'late');
    assert.equal(await stateOf(wantsDeleted), 'deleted', 'resolved at once: the parent already succeeded');
    await waitFor('late continuation of a finished parent runs', async () => (await stateOf(late)) === 'succeeded');
  });

  it('bad input: a missing parent, an unknown condition', async () => {
    await assert.rejects(client.continueWith('00000000-0000-7000-8000-000000000000', step, 'x'), (e: unknown) => e instanceof ValidationError && e.field === 'parentId');
    const p = await client.enqueue(step, 'p');
    await assert.rejects(client.continueWith(p, step, 'x', { on: 'sometimes' as 'deleted' }), (e: unknown) => e instanceof ValidationError && e.field === 'options.on');
  });
});
