// Runs every test file under test/ with Node's own test runner (TypeScript through tsx).
// Files named *.serial.test.ts would disturb shared servers, so they run afterwards, one at a
// time, with nothing else running. (Tests that restart or break a server use private ones,
// test/support/private-servers.ts, and need not be serial.)
// Usage: npm test [-- substring...]  — substrings keep only the files whose path contains one of them.
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

function find(dir) {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return find(path);
    return path.endsWith('.test.ts') ? [path] : [];
  });
}

const filters = process.argv.slice(2);
const files = find('test').filter((f) => filters.length === 0 || filters.some((x) => f.includes(x))).sort();
if (files.length === 0) {
  console.error(`no test files match ${filters.join(' or ')}`);
  process.exit(1);
}
const serial = files.filter((f) => f.endsWith('.serial.test.ts'));
const parallel = files.filter((f) => !serial.includes(f));

function run(list, concurrency) {
  if (list.length === 0) return 0;
  const result = spawnSync(
    process.execPath,
    ['--import', 'tsx', '--test', `--test-concurrency=${concurrency}`, '--test-timeout=180000', ...list],
    { stdio: 'inherit' },
  );
  return result.status ?? 1;
}

const first = run(parallel, 2);
const second = run(serial, 1);
process.exit(first || second);
