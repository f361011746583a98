/**
 * --config FILE and --check-config FILE: the schema, the paths in errors, exit 2 before binding,
 * the flags as defaults, YAML and JSON.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../src/config.js';
import { ConfigFileError, configFromDocument } from '../src/config-file.js';
import { configDir, writeConfig } from './helpers/config-files.js';
import { runProxy } from './helpers/spawn.js';

const flags = parseConfig(['--config', 'x.yaml', '--connect-timeout', '1234'], {});
const dir = configDir();
const minimal = {
  listeners: [{ name: 'web', port: 0, address: '127.0.0.1', pool: 'web' }],
  pools: [{ name: 'web', upstreams: ['127.0.0.1:9000'] }],
};

function problems(doc: unknown): readonly string[] {
  try {
    configFromDocument('f.yaml', doc, flags);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigFileError);
    return (err as ConfigFileError).errors;
  }
  throw new Error('expected the document to be refused');
}

describe('config file: validation, each error naming its path', () => {
  it.each([
    [
      'a port above 65535',
      { ...minimal, listeners: [minimal.listeners[0], { name: 'b', port: 70000, pool: 'web' }] },
      'listeners[1].port: must be ≤ 65535',
    ],
    ['an unknown setting', { ...minimal, lisen: 1 }, 'lisen: is not a known setting'],
    ['no listeners', { pools: minimal.pools }, 'listeners: is required'],
    [
      'a pool that does not exist',
      { ...minimal, listeners: [{ name: 'a', port: 1, pool: 'nope' }] },
      'listeners[0].pool: no pool named "nope"',
    ],
    [
      'a bad upstream',
      { ...minimal, pools: [{ name: 'web', upstreams: ['127.0.0.1:0'] }] },
      'pools[0].upstreams[0]: "127.0.0.1:0": port must be 1-65535',
    ],
    [
      'a bad strategy',
      { ...minimal, pools: [{ name: 'web', upstreams: ['a:1'], strategy: 'fastest' }] },
      'pools[0].strategy: must be one of "round-robin", "least-connections", "random", "p2c", "source-hash"',
    ],
    [
      'a bad duration',
      { ...minimal, pools: [{ name: 'web', upstreams: ['a:1'], connectTimeout: '3 seconds' }] },
      'pools[0].connectTimeout: must be a number of milliseconds or a number with a unit (500ms, 3s, 2m, 1h)',
    ],
    [
      'two listeners on one port',
      {
        ...minimal,
        listeners: [
          { name: 'a', port: 7001, pool: 'web' },
          { name: 'b', port: 7001, pool: 'web' },
        ],
      },
      "listeners[1].port: 0.0.0.0:7001 is also listeners[0]'s",
    ],
    [
      'a duplicate pool name',
      { ...minimal, pools: [minimal.pools[0], minimal.pools[0]] },
      'pools[1].name: "web" is also pools[0]\'s name',
    ],
    [
      'neither pool nor sni',
      { ...minimal, listeners: [{ name: 'a', port: 1 }] },
      'listeners[0]: needs exactly one of "pool" or "sni"',
    ],
    [
      'a bad trusted range',
      {
        ...minimal,
        listeners: [
          { name: 'a', port: 1, pool: 'web', proxyProtocol: { trusted: ['10.0.0.0/33'] } },
        ],
      },
      'listeners[0].proxyProtocol.trusted[0]: "10.0.0.0/33": prefix length must be 0-32',
    ],
    [
      'a PROXY header timeout under 3 s',
      {
        ...minimal,
        listeners: [
          {
            name: 'a',
            port: 1,
            pool: 'web',
            proxyProtocol: { trusted: ['::1'], headerTimeout: 1000 },
          },
        ],
      },
      'listeners[0].proxyProtocol.headerTimeout: must be ≥ 3s',
    ],
    [
      'a bad SNI pattern',
      {
        ...minimal,
        listeners: [{ name: 'a', port: 1, sni: { routes: { 'a.*.com': 'web' } } }],
      },
      'listeners[0].sni.routes["a.*.com"]: "a.*.com" is not a DNS name or *.name wildcard',
    ],
  ])('refuses %s', (_what, doc, expected) => {
    expect(problems(doc)).toContain(expected);
  });

  it('fills what a pool or listener leaves out from the flags, and parses units', () => {
    const c = configFromDocument(
      'f.yaml',
      {
        ...minimal,
        drainTimeout: '2s',
        pools: [
          {
            name: 'web',
            upstreams: [
              '127.0.0.1:9000@3',
              { address: '::1', port: 9001, weight: 2 },
              { host: 'backend', port: 9002 },
            ],
            health: { interval: '1m' },
            proxyProtocol: 'v2',
          },
        ],
      },
      flags,
    );
    expect(c.drainTimeout).toBe(2000);
    expect(c.pools[0]).toMatchObject({
      connectTimeout: 1234,
      healthInterval: 60_000,
      retries: 2,
      strategy: 'round-robin',
      proxyProtocol: 2,
    });
    expect(c.pools[0]?.upstreams.map((u) => [u.host, u.port, u.weight])).toEqual([
      ['127.0.0.1', 9000, 3],
      ['::1', 9001, 2],
      ['backend', 9002, 1],
    ]);
    expect(c.listeners[0]).toMatchObject({
      maxConns: 8000,
      idleTimeout: 300_000,
      host: '127.0.0.1',
    });
    const q = configFromDocument(
      'f.yaml',
      {
        ...minimal,
        pools: [
          {
            name: 'web',
            upstreams: ['a:1'],
            connectTimeout: '700ms',
            health: { interval: '2s', downInterval: '1s' },
            maxConnsPerUpstream: 9,
            queue: { max: 3 },
          },
        ],
      },
      flags,
    );
    // The queue waits the pool's own connect timeout by default; fastinter follows its interval.
    expect(q.pools[0]).toMatchObject({
      queueTimeout: 700,
      queueMax: 3,
      upstreamMaxConns: 9,
      healthFastInterval: 250,
      healthDownInterval: 1000,
    });
  });
});

describe('the bin: --config / --check-config', () => {
  afterAll(() => {});

  it('--check-config prints ok and exits 0 for a good file (YAML and JSON)', async () => {
    for (const name of ['good.yaml', 'good.json']) {
      const file = writeConfig(dir, name, minimal);
      const r = await runProxy(['--check-config', file]);
      expect(r.code).toBe(0);
      expect(r.stdout.trim()).toBe(`${file}: ok (1 listeners, 1 pools)`);
    }
  });

  it('a bad file exits 2 with the path of the problem, before binding anything', async () => {
    const file = writeConfig(dir, 'bad.yaml', {
      ...minimal,
      listeners: [minimal.listeners[0], { name: 'b', port: 70000, pool: 'web' }],
    });
    const r = await runProxy(['--config', file]);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(`tcpbalancer-proxy: ${file}: listeners[1].port: must be ≤ 65535\n`);
    expect(r.stdout).not.toContain('listening');
    const check = await runProxy(['--check-config', file]);
    expect(check.code).toBe(2);
  });

  it('TCPB_CONFIG and TCPB_PROXY_CONFIG name the file too; a missing file is exit 2', async () => {
    for (const v of ['TCPB_CONFIG', 'TCPB_PROXY_CONFIG']) {
      const r = await runProxy([], { [v]: `${dir}/missing.yaml` });
      expect(r.code).toBe(2);
      expect(r.stderr).toContain('missing.yaml: cannot read: ENOENT');
    }
  });

  it('YAML syntax errors say where', async () => {
    const file = `${dir}/broken.yaml`;
    await import('node:fs').then((fs) => fs.writeFileSync(file, 'listeners:\n  - name: [a\n'));
    const r = await runProxy(['--check-config', file]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/broken.yaml: invalid YAML: line \d+, column \d+/);
  });

  it('--upstream with --config is refused', async () => {
    const file = writeConfig(dir, 'ok.yaml', minimal);
    const r = await runProxy(['--config', file, '-u', '127.0.0.1:1']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--upstream cannot be combined with --config/);
  });
});

describe('docs/proxy: every complete example file is valid', () => {
  it('each ```yaml block with listeners and pools passes the schema and the checks', async () => {
    const { readdirSync, readFileSync } = await import('node:fs');
    const { parse } = await import('yaml');
    const docsDir = new URL('../../../docs/proxy/', import.meta.url);
    let checked = 0;
    for (const name of readdirSync(docsDir).filter((f) => f.endsWith('.md'))) {
      const text = readFileSync(new URL(name, docsDir), 'utf8');
      for (const [, block] of text.matchAll(/```yaml\n([\s\S]*?)```/g)) {
        if (!/^listeners:/m.test(block as string) || !/^pools:/m.test(block as string)) continue;
        expect(() => configFromDocument(name, parse(block as string), flags), name).not.toThrow();
        checked++;
      }
    }
    expect(checked).toBeGreaterThanOrEqual(6);
  });
});
