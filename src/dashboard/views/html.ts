import type { HtmlEscapedString } from 'hono/utils/html';

/**
 * What a view returns: HTML built with Hono's `html` tagged template, which escapes every
 * interpolated string (job args, names, exception messages are attacker-controlled). Views never
 * concatenate raw strings into markup and never use `raw()` on stored values.
 */
export type Html = HtmlEscapedString | Promise<HtmlEscapedString>;
