/**
 * The app shell as the client's users meet it, over the real bin: the env names of issue 11,
 * logs on stderr, --version, time units.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from '@tcpbalancer/test-kit';
import { describe, expect, it } from 'vitest';
import { runCli } from './helpers.js';

const SAMPLES = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../samples/in');
const VERSION = (
  JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
    version: string;
  }
).version;

/** A dry run of the samples against a port nothing listens on, no retries, then `args`. */
async function againstNothing(...args: string[]): Promise<string[]> {
  const port = await freePort();
  return ['--proxy', `127.0.0.1:${port}`, '-i', SAMPLES, '--dry-run', '--retries', '0', ...args];
}

describe('the shell (client)', () => {
  it('TCPB_MAX_CONNS=100 meant for a server no longer makes --conns 4 a usage error (issue 11)', async () => {
    const r = await runCli(await againstNothing('--conns', '4'), { TCPB_MAX_CONNS: '100' });
    expect(r.code).toBe(1); // nothing to connect to: a failed run, not bad usage
    expect(r.stderr).toContain(
      'tcpbalancer-client: warning: TCPB_MAX_CONNS is no longer read here (another program gives it another meaning): use TCPB_CLIENT_MAX_CONNS\n',
    );
  });

  it('logs go to stderr: stdout has the summary only; a suspicious --timeout is warned about', async () => {
    const r = await runCli(await againstNothing('--timeout', '5'), { TCPB_CLIENT_CONNS: '1' });
    expect(r.stdout).not.toContain('"level"');
    expect(r.stderr).toContain('"level"');
    expect(r.stderr).toContain(
      'tcpbalancer-client: warning: --timeout 5 means 5 ms (a plain number is milliseconds): write 5ms to keep it, 5s if you meant seconds\n',
    );
  });

  it('--version prints the name and the package version, exit 0', async () => {
    const r = await runCli(['--version']);
    expect(r).toMatchObject({ code: 0, stderr: '' });
    expect(r.stdout.trim()).toBe(`tcpbalancer-client ${VERSION}`);
  });

  it('a bad duration is one line naming the flag, exit 2', async () => {
    const r = await runCli(['--proxy', 'h:1', '-i', SAMPLES, '--duration', 'forever']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(
      /^tcpbalancer-client: option '--duration <duration>' argument 'forever' is invalid/,
    );
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
  });
});
