#!/usr/bin/env node
// The `edge-relay` command. npm links a package's bins when `npm ci` runs, before
// `tsc -b` has built dist/, and skips a bin whose file does not exist yet; this
// committed launcher is always there, so the link is made, and it runs the build.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const main = new URL('../dist/main.js', import.meta.url);
if (!existsSync(main)) {
  process.stderr.write(`edge-relay: ${fileURLToPath(main)} is not built yet: run \`npm run build\` (tsc -b) in the repository root first\n`);
  process.exit(1);
}
await import(main.href);
