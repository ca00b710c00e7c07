// Runs every test file under test/ with Node's own test runner (TypeScript through tsx).
// Files named *.serial.test.ts disturb shared servers (they restart Postgres, kill connections),
// so they run afterwards, one at a time, with nothing else running.
// Usage: npm test [-- substring]  — a substring keeps only the files whose path contains it.
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

const filter = process.argv[2];
const files = find('test').filter((f) => !filter || f.includes(filter)).sort();
if (files.length === 0) {
  console.error(`no test files match ${filter}`);
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
