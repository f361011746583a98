import { readFileSync } from 'node:fs';

/**
 * The `version` of the package.json one directory above the calling module (`src/` and `dist/`
 * both sit beside it): `packageVersion(import.meta.url)`. `unknown` when it cannot be read (a
 * copy without its package.json), never a throw: --version must not crash.
 */
export function packageVersion(moduleUrl: string): string {
  try {
    const json = JSON.parse(readFileSync(new URL('../package.json', moduleUrl), 'utf8')) as {
      version?: unknown;
    };
    return typeof json.version === 'string' ? json.version : 'unknown';
  } catch {
    return 'unknown';
  }
}
