import { existsSync } from 'node:fs';
import { extname, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { UsageError } from './exit.js';

/**
 * Imports the module that defines the application's jobs (`defineJob` registers them). A path
 * that does not exist, and a TypeScript file Node cannot load by itself (Node 20 and 22 without
 * type stripping), are `UsageError`s that say what to do instead.
 */
export async function importJobsModule(path: string): Promise<void> {
  const file = resolve(path);
  if (!existsSync(file)) throw new UsageError(`--jobs: no file ${file}`);
  try {
    await import(pathToFileURL(file).href);
  } catch (e) {
    const code = typeof e === 'object' && e !== null ? (e as { code?: unknown }).code : undefined;
    if (code === 'ERR_UNKNOWN_FILE_EXTENSION' && ['.ts', '.mts', '.cts', '.tsx'].includes(extname(file))) {
      throw new UsageError(
        `--jobs ${path}: this Node cannot load TypeScript by itself. Run the command under tsx: ` +
          `NODE_OPTIONS='--import tsx' npx kiln … (npm install -D tsx), or build your jobs to JavaScript first and pass the .js file.`,
      );
    }
    throw new UsageError(`--jobs ${path} failed to load: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
  }
}
