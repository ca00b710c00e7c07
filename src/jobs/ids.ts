import { randomFillSync } from 'node:crypto';

let lastMs = 0;
let counter = 0;

/** Random bytes drawn in blocks: one system call serves 512 ids instead of one each. */
const POOL = Buffer.alloc(16 * 512);
let poolOffset = POOL.length;

function randomBlock(): Buffer {
  if (poolOffset + 16 > POOL.length) {
    randomFillSync(POOL);
    poolOffset = 0;
  }
  const block = POOL.subarray(poolOffset, poolOffset + 16);
  poolOffset += 16;
  return block;
}

/**
 * A time-ordered UUID (version 7 layout): 48 bits of milliseconds, then a 12-bit counter (random
 * start each millisecond) and random bits. Ids made by one process are strictly increasing (the
 * counter borrows the next millisecond when it overflows), so they sort by creation time, which
 * keeps database indexes compact and makes "search by id prefix" in the dashboard meaningful.
 */
export function newJobId(now = Date.now()): string {
  const bytes = Buffer.from(randomBlock());
  if (now <= lastMs) {
    // Same millisecond (or the clock stepped back): count on; past 4095, borrow the next millisecond.
    counter++;
    if (counter > 0xfff) {
      lastMs++;
      counter = 0;
    }
  } else {
    lastMs = now;
    counter = bytes.readUInt16BE(14) & 0x7ff;
  }
  bytes.writeUIntBE(lastMs, 0, 6);
  bytes[6] = 0x70 | (counter >> 8);
  bytes[7] = counter & 0xff;
  bytes[8] = 0x80 | (bytes[8]! & 0x3f);
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
