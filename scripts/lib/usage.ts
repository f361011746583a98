import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/**
 * `--help` for a script documented by its leading `//` comment block: prints that block (so the
 * usage is written once, at the top of the file) and exits 0.
 */
export function printHeaderAndExit(scriptUrl: string): never {
  const lines = readFileSync(fileURLToPath(scriptUrl), 'utf8').split('\n');
  const end = lines.findIndex((l) => !l.startsWith('//'));
  const header = lines.slice(0, end === -1 ? lines.length : end);
  console.log(header.join('\n').replace(/^\/\/ ?/gm, ''));
  process.exit(0);
}
