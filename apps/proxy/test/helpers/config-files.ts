import { once } from 'node:events';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { connectTo } from './clients.js';
import { startServer, type TestServer } from './servers.js';

/** A scratch directory for config files (under the OS temp dir, one per test file). */
export function configDir(): string {
  return mkdtempSync(join(tmpdir(), 'tcpb-proxy-config-'));
}

/** Writes `doc` as YAML (or JSON for a .json name) and returns the path. */
export function writeConfig(dir: string, name: string, doc: unknown): string {
  const path = join(dir, name);
  writeFileSync(path, name.endsWith('.json') ? JSON.stringify(doc, null, 2) : stringify(doc));
  return path;
}

/** A server that answers every connection with its name and a newline, then echoes. */
export function startNamedServer(name: string, host = '127.0.0.1'): Promise<TestServer> {
  return startServer(
    (s) => {
      s.write(`${name}\n`);
      s.pipe(s);
    },
    { host },
  );
}

/** Connects, reads the first line (the upstream's name), closes. */
export async function whoAnswers(port: number): Promise<string> {
  const s = await connectTo(port);
  let got = '';
  while (!got.includes('\n')) {
    const [chunk] = (await once(s, 'data')) as [Buffer];
    got += chunk.toString();
  }
  s.destroy();
  return got.split('\n')[0] as string;
}
