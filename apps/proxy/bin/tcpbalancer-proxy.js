#!/usr/bin/env node
// The tcpbalancer-proxy command. Committed (not built) so that npm links it into node_modules/.bin
// at `npm ci`, before any build; it runs the build, or says how to make it.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const main = new URL('../dist/main.js', import.meta.url);
if (!existsSync(fileURLToPath(main))) {
  process.stderr.write(
    'tcpbalancer-proxy: not built yet: run `npm run build` in the repository root first ' +
      `(${fileURLToPath(main)} is missing)\n`,
  );
  process.exit(2);
}
await import(main.href);
