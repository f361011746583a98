import { readFileSync } from 'node:fs';
import type { AdminAction } from './admin.js';
import type { AdminState } from './admin-state.js';

/** What `ctl` needs from the process (main.ts passes the real ones; tests pass their own). */
export interface CtlIO {
  readonly env: Readonly<Record<string, string | undefined>>;
  out(text: string): void;
  err(text: string): void;
  readonly fetch: typeof fetch;
}

export const CTL_USAGE = `Usage: tcpbalancer-proxy ctl [options] <command>

Talks to a running proxy's runtime API (on its --metrics-port).

Commands:
  list                          pools and upstreams with their state (also: state, ls)
  drain   POOL UPSTREAM         no new connections; open ones finish; still health-checked
  disable POOL UPSTREAM         maintenance: no new connections, no health checks
  enable  POOL UPSTREAM         takes connections again
  weight  POOL UPSTREAM N       set the balancing weight (0-1000)
  add     POOL HOST:PORT[@W]    add an upstream to a pool
  remove  POOL UPSTREAM         remove a configured upstream (its connections finish)

UPSTREAM is ADDRESS:PORT as listed, or a configured HOST:PORT (all its addresses).

Options (env in brackets):
  --url URL          the proxy's metrics listener [TCPB_PROXY_ADMIN_URL] (default http://127.0.0.1:9100)
  --token TOKEN      bearer token for changes [TCPB_PROXY_ADMIN_TOKEN]
  --token-file PATH  read the token from a file [TCPB_PROXY_ADMIN_TOKEN_FILE]
  --json             print the API's JSON instead of a table
  -h, --help         this help

Exit status: 0 done, 1 refused or unreachable (the message says why), 2 bad usage.
`;

class Usage extends Error {}

interface Parsed {
  url: string;
  token: string | undefined;
  json: boolean;
  words: string[];
}

function parse(argv: readonly string[], env: CtlIO['env']): Parsed | 'help' {
  // The proxy's own prefix first (issue 11.5); the unprefixed names of the first release still work.
  let url = env.TCPB_PROXY_ADMIN_URL ?? env.TCPB_ADMIN_URL ?? 'http://127.0.0.1:9100';
  let token = env.TCPB_PROXY_ADMIN_TOKEN ?? env.TCPB_ADMIN_TOKEN;
  let tokenFile = env.TCPB_PROXY_ADMIN_TOKEN_FILE ?? env.TCPB_ADMIN_TOKEN_FILE;
  let json = false;
  const words: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] as string;
    const value = () => {
      const v = argv[++i];
      if (v === undefined) throw new Usage(`option ${a} needs a value`);
      return v;
    };
    if (a === '-h' || a === '--help') return 'help';
    else if (a === '--json') json = true;
    else if (a === '--url') url = value();
    else if (a === '--token') token = value();
    else if (a === '--token-file') tokenFile = value();
    else if (a.startsWith('--')) throw new Usage(`unknown option ${a}`);
    else words.push(a);
  }
  if (tokenFile !== undefined && token === undefined) {
    try {
      token = (readFileSync(tokenFile, 'utf8').split(/\r?\n/)[0] ?? '').trim();
    } catch (err) {
      throw new Usage(`option --token-file: cannot read ${tokenFile} (${(err as Error).message})`);
    }
  }
  if (!/^https?:\/\//.test(url))
    throw new Usage(`option --url: expected http://HOST:PORT, got "${url}"`);
  return { url: url.replace(/\/+$/, ''), token, json, words };
}

function actionOf(words: readonly string[]): AdminAction {
  const [cmd, pool, upstream, extra] = words;
  const need = (n: number, shape: string) => {
    if (words.length !== n) throw new Usage(`${cmd}: expected ${shape}`);
  };
  switch (cmd) {
    case 'drain':
    case 'disable':
    case 'enable':
      need(3, `${cmd} POOL UPSTREAM`);
      return { op: cmd, pool: pool as string, upstream: upstream as string };
    case 'weight': {
      need(4, 'weight POOL UPSTREAM N');
      if (!/^\d+$/.test(extra as string))
        throw new Usage(`weight: N must be an integer 0-1000, got "${extra}"`);
      return {
        op: 'weight',
        pool: pool as string,
        upstream: upstream as string,
        weight: Number(extra),
      };
    }
    case 'add':
      need(3, 'add POOL HOST:PORT[@WEIGHT]');
      return { op: 'add', pool: pool as string, upstream: upstream as string };
    case 'remove':
      need(3, 'remove POOL UPSTREAM');
      return { op: 'remove', pool: pool as string, upstream: upstream as string };
    default:
      throw new Usage(
        `unknown command "${cmd}" (list, drain, disable, enable, weight, add, remove)`,
      );
  }
}

/** `tcpbalancer-proxy ctl …`: resolves with the exit status. Never throws. */
export async function runCtl(argv: readonly string[], io: CtlIO): Promise<number> {
  let p: Parsed | 'help';
  try {
    p = parse(argv, io.env);
  } catch (err) {
    io.err(`tcpbalancer-proxy ctl: ${(err as Error).message}\n`);
    return 2;
  }
  if (p === 'help' || p.words.length === 0) {
    (p === 'help' ? io.out : io.err)(CTL_USAGE);
    return p === 'help' ? 0 : 2;
  }
  const cmd = p.words[0];
  try {
    if (cmd === 'list' || cmd === 'state' || cmd === 'ls') {
      if (p.words.length !== 1) throw new Usage(`${cmd}: takes no arguments`);
      const res = await io.fetch(`${p.url}/api/state`);
      const body = await res.json();
      if (!res.ok) return apiError(io, res.status, body);
      io.out(p.json ? `${JSON.stringify(body, null, 2)}\n` : table(body as AdminState));
      return 0;
    }
    const action = actionOf(p.words);
    const res = await io.fetch(`${p.url}/api/actions`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'x-actor': `ctl (${io.env.USER ?? 'unknown user'})`,
        ...(p.token !== undefined ? { authorization: `Bearer ${p.token}` } : {}),
      },
      body: JSON.stringify(action),
    });
    const body = (await res.json()) as {
      upstreams?: { address: string; state: string; weight: number }[];
      processes?: number;
    };
    if (!res.ok) return apiError(io, res.status, body);
    if (p.json) io.out(`${JSON.stringify(body, null, 2)}\n`);
    else {
      const ups = body.upstreams ?? [];
      const list = ups.map((u) => `${u.address} (${u.state}, weight ${u.weight})`).join(', ');
      io.out(
        `${action.op} ${action.upstream} in pool ${action.pool}: done${list ? ` — ${list}` : ''}${
          (body.processes ?? 1) > 1 ? ` in ${body.processes} workers` : ''
        }\n`,
      );
    }
    return 0;
  } catch (err) {
    if (err instanceof Usage) {
      io.err(`tcpbalancer-proxy ctl: ${err.message}\n`);
      return 2;
    }
    const cause = (err as { cause?: { code?: string } }).cause?.code;
    io.err(
      `tcpbalancer-proxy ctl: cannot reach ${p.url}${cause ? ` (${cause})` : ''}: is the proxy running with --metrics-port?\n`,
    );
    return 1;
  }
}

function apiError(io: CtlIO, status: number, body: unknown): number {
  const e = (body as { error?: { code?: string; message?: string } }).error;
  io.err(
    `tcpbalancer-proxy ctl: ${status} ${e?.code ?? ''}: ${e?.message ?? JSON.stringify(body)}\n`,
  );
  return 1;
}

function ago(iso: string, now: number): string {
  const s = Math.max(0, Math.round((now - Date.parse(iso)) / 1000));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${s % 60}s`;
  if (s < 86400) return `${Math.floor(s / 3600)}h${Math.floor((s % 3600) / 60)}m`;
  return `${Math.floor(s / 86400)}d`;
}

/** A plain-text table: one line per upstream, columns padded. */
export function table(st: AdminState): string {
  const now = Date.parse(st.time);
  const rows: string[][] = [
    ['POOL', 'UPSTREAM', 'STATE', 'SINCE', 'WEIGHT', 'OPEN', 'TOTAL', 'FAILS', 'CHECKS'],
  ];
  for (const p of st.pools) {
    for (const u of p.upstreams) {
      rows.push([
        p.name,
        u.address,
        u.state,
        ago(u.since, now),
        String(u.weight),
        String(u.active),
        String(u.total),
        String(u.failures),
        u.checks
          .slice(-10)
          .map((c) => (c ? '+' : '-'))
          .join('') || '·',
      ]);
    }
  }
  const widths =
    rows[0]?.map((_, i) => Math.max(...rows.map((r) => (r[i] as string).length))) ?? [];
  const lines = rows.map((r) =>
    r
      .map((c, i) => c.padEnd(widths[i] as number))
      .join('  ')
      .trimEnd(),
  );
  const c = st.connections;
  const queues = st.pools.map((p) => `${p.name} ${p.queue.length}/${p.queue.max}`).join(', ');
  return `${lines.join('\n')}\n\nconnections: ${c.active} open, ${c.queued} waiting, ${c.total} total, ${c.refused} refused · queues: ${queues} · workers: ${st.workers}\n`;
}
