/**
 * Where the Postgres and Redis tests find their servers. Without the variable a test is skipped
 * with a printed notice; under CI (CI set) a missing server is a failure, never a skip.
 */
export function serviceUrl(variable: 'KILN_TEST_PG_URL' | 'KILN_TEST_REDIS_URL'): string | undefined {
  const url = process.env[variable];
  if (url) return url;
  if (process.env['CI']) throw new Error(`${variable} is not set, and CI must not skip these tests`);
  console.log(`# ${variable} is not set: skipping these tests`);
  return undefined;
}
