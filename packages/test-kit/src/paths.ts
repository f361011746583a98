/** Where the repository and the three built programs are, from this file (src/ or dist/). */
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export type AppName = 'proxy' | 'backend' | 'client';

/** The repository root: packages/test-kit/{src,dist} → three levels up. */
export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

/** Each app's built entry point: tests run what users run, not the sources. */
export const BINS: Readonly<Record<AppName, string>> = {
  proxy: path.join(REPO_ROOT, 'apps/proxy/dist/main.js'),
  backend: path.join(REPO_ROOT, 'apps/backend/dist/main.js'),
  client: path.join(REPO_ROOT, 'apps/client/dist/main.js'),
};

/** The bundled sample images (`samples/in`). */
export const SAMPLES_DIR = path.join(REPO_ROOT, 'samples/in');
