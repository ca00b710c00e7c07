import type { Logger } from '../../src/index.js';

/**
 * A logger that keeps every line (the message and its fields as JSON), so a test can check what
 * was logged, and tells `onLine` of each as it comes (to act on a logged event, not a sleep).
 */
export function recordingLogger(onLine: (line: string) => void = () => {}): Logger & { lines: string[] } {
  const lines: string[] = [];
  const keep = (message: string, fields?: Record<string, unknown>) => {
    const line = fields === undefined ? message : `${message} ${JSON.stringify(fields)}`;
    lines.push(line);
    onLine(line);
  };
  return { lines, debug: keep, info: keep, warn: keep, error: keep };
}
