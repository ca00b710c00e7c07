import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { newJobId } from '../../src/jobs/ids.js';

describe('job ids', () => {
  it('are version-7 UUIDs, unique and strictly increasing, even 100,000 in one millisecond', () => {
    const now = Date.UTC(2026, 0, 1);
    const ids = Array.from({ length: 100_000 }, () => newJobId(now));
    assert.equal(new Set(ids).size, ids.length);
    for (let i = 1; i < ids.length; i++) assert.ok(ids[i - 1]! < ids[i]!, `${ids[i - 1]} < ${ids[i]}`);
    for (const id of ids.slice(0, 100)) assert.match(id, /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    assert.equal(ids[0]!.slice(0, 13).replace('-', ''), now.toString(16).padStart(12, '0'), 'the time is the prefix');
    const later = newJobId(now + 60_000);
    assert.ok(later > ids[ids.length - 1]!);
  });
});
