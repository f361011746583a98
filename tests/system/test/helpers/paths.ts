import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** /work/main (or wherever the repo lives): three levels above this file's folder. */
export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../..');

export const BINS = {
  proxy: path.join(REPO_ROOT, 'apps/proxy/dist/main.js'),
  backend: path.join(REPO_ROOT, 'apps/backend/dist/main.js'),
  client: path.join(REPO_ROOT, 'apps/client/dist/main.js'),
} as const;
