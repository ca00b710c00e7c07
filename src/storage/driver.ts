import { createRequire } from 'node:module';
import { KilnError } from '../errors.js';

const require = createRequire(import.meta.url);

/**
 * Loads a backend's database driver (`pg`, `ioredis`) when the backend is first constructed, not
 * when Kiln is imported: they are optional peer dependencies, so an application that uses only
 * SQLite never installs them. Both are CommonJS packages, so a synchronous `require` serves a
 * synchronous constructor. A missing driver is a `KilnError` that names the package to install.
 */
export function loadDriver<T>(packageName: 'pg' | 'ioredis', backend: string): T {
  try {
    return require(packageName) as T;
  } catch (e) {
    if (typeof e === 'object' && e !== null && (e as { code?: unknown }).code === 'MODULE_NOT_FOUND') {
      throw new KilnError(`${backend} needs the '${packageName}' package, which is not installed: run \`npm install ${packageName}\``);
    }
    throw e;
  }
}
