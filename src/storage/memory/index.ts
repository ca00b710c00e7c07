/** The in-memory backend: tests and trying Kiln out; one process, gone when it exits. */
export { MemoryStorage } from './memory-storage.js';
