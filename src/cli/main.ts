#!/usr/bin/env node
// The `kiln` command: run a server or the dashboard, migrate a storage, look at and act on jobs.
import { kiln } from './kiln.js';

void kiln(process.argv.slice(2)).then((code) => {
  if (code !== 'running') process.exitCode = code;
});
