import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { type AdminAction, type AdminOutcome, validateAction } from './admin.js';
import type { AdminState } from './admin-state.js';
import { renderDashboard } from './dashboard.js';
import { AdminError } from './errors.js';
import type { Logger } from './logger.js';

/** Where the API's calls go: this process's service, or the cluster primary's fan-out. */
export interface AdminBackend {
  state(): Promise<AdminState>;
  /** Applies the action everywhere (every worker); resolves with one outcome per process. */
  apply(action: AdminAction): Promise<readonly AdminOutcome[]>;
}

export interface AdminApiOptions {
  /** undefined: every mutating call is refused (403). */
  readonly token: string | undefined;
  readonly backend: AdminBackend;
  readonly logger: Logger;
}

/** A request body larger than this is refused (413): every action fits in a few hundred bytes. */
const MAX_BODY = 4096;

/** sha256 first, so the comparison takes the same time whatever the lengths. */
const digest = (s: string) => createHash('sha256').update(s).digest();

/**
 * The runtime API and the dashboard, on the metrics listener:
 *
 *   GET    /                                              the dashboard (HTML, self-contained)
 *   GET    /api/state                                     listeners, pools, upstreams, processes
 *   POST   /api/pools/:pool/upstreams/:upstream/drain     no new connections; open ones finish; still checked
 *   POST   /api/pools/:pool/upstreams/:upstream/disable   maintenance: no new connections, no checks
 *   POST   /api/pools/:pool/upstreams/:upstream/enable    takes connections again
 *   PUT    /api/pools/:pool/upstreams/:upstream/weight    body {"weight": 0-1000}
 *   POST   /api/pools/:pool/upstreams                     body {"upstream": "HOST:PORT[@WEIGHT]"}
 *   DELETE /api/pools/:pool/upstreams/:upstream           remove a configured upstream
 *   POST   /api/actions                                   body {"op", "pool", "upstream", "weight"?}
 *
 * Reads are open like /stats. Every other method needs `Authorization: Bearer <token>`, compared
 * in constant time; without a configured token they are refused (403). Errors are JSON:
 * `{"error":{"code":"ERR_ADMIN_…","message":"…"}}` with a 4xx naming the problem. Each change
 * is logged with who (address, user agent, X-Actor header) and what; the token never is.
 * Returns false for paths it does not serve (the metrics server's own routes).
 */
export function createAdminHandler(
  opts: AdminApiOptions,
): (req: IncomingMessage, res: ServerResponse) => Promise<boolean> {
  const expected = opts.token === undefined ? undefined : digest(opts.token);
  const log = opts.logger;

  function authorize(req: IncomingMessage): void {
    if (expected === undefined) {
      throw new AdminError(
        'ERR_ADMIN_DISABLED',
        'the runtime API is read-only here: start the proxy with --admin-token (or TCPB_ADMIN_TOKEN, --admin-token-file) to allow changes',
      );
    }
    const header = req.headers.authorization ?? '';
    const m = /^Bearer\s+(\S+)\s*$/i.exec(header);
    if (m === null) {
      throw new AdminError(
        'ERR_ADMIN_UNAUTHORIZED',
        'missing "Authorization: Bearer <token>" header',
      );
    }
    if (!timingSafeEqual(digest(m[1] as string), expected)) {
      throw new AdminError('ERR_ADMIN_UNAUTHORIZED', 'wrong token');
    }
  }

  return async (req, res) => {
    const url = req.url ?? '/';
    const path = url.split('?')[0] ?? '/';
    if (path === '/' || path === '/index.html') {
      if (req.method !== 'GET' && req.method !== 'HEAD') {
        sendError(res, new AdminError('ERR_ADMIN_METHOD', `${req.method} / : only GET`), 'GET');
        return true;
      }
      const html = renderDashboard();
      res
        .writeHead(200, {
          'content-type': 'text/html; charset=utf-8',
          'cache-control': 'no-store',
          // Everything is inline; nothing may be fetched from elsewhere.
          'content-security-policy':
            "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; connect-src 'self'; img-src data:",
        })
        .end(req.method === 'HEAD' ? undefined : html);
      return true;
    }
    if (path !== '/api' && !path.startsWith('/api/')) return false;
    const who = {
      address: req.socket.remoteAddress ?? '',
      agent: clip(req.headers['user-agent']),
      actor: clip(req.headers['x-actor']),
    };
    let action: AdminAction | undefined;
    try {
      const route = parseRoute(req.method ?? 'GET', path);
      if (route.kind === 'state') {
        sendJson(res, 200, await opts.backend.state());
        return true;
      }
      authorize(req);
      const body = route.needsBody ? await readJson(req) : undefined;
      action = validateAction(route.action(body));
      const outcomes = await opts.backend.apply(action);
      log.info({ admin: action, by: who, processes: outcomes.length }, 'admin action');
      sendJson(res, route.created ? 201 : 200, {
        ok: true,
        action,
        // Every process applied it; the first one's view of the upstreams it touched.
        upstreams: outcomes[0]?.upstreams ?? [],
        processes: outcomes.length,
      });
    } catch (err) {
      const e =
        err instanceof AdminError
          ? err
          : new AdminError('ERR_ADMIN_UNAVAILABLE', `could not apply: ${(err as Error).message}`);
      // Refusals are worth a line (who tried what); the token is never part of it.
      log.warn(
        {
          admin: action ?? { method: req.method, path: clip(path) },
          by: who,
          code: e.code,
          reason: e.message,
        },
        'admin request refused',
      );
      sendError(
        res,
        e,
        e.code === 'ERR_ADMIN_METHOD' ? (err as { allow?: string }).allow : undefined,
      );
    }
    return true;
  };
}

type Route =
  | { kind: 'state' }
  | {
      kind: 'action';
      needsBody: boolean;
      created?: boolean;
      action(body: unknown): unknown;
    };

function methodError(method: string, path: string, allow: string): AdminError {
  const e = new AdminError('ERR_ADMIN_METHOD', `${method} ${path}: use ${allow}`);
  return Object.assign(e, { allow });
}

/** Maps method + path to what to do; 404/405 AdminError otherwise. */
function parseRoute(method: string, path: string): Route {
  const parts = path.split('/').filter((p) => p !== '');
  // parts[0] === 'api'
  let seg: string[];
  try {
    seg = parts.slice(1).map((p) => decodeURIComponent(p));
  } catch {
    throw new AdminError('ERR_ADMIN_BAD_REQUEST', `bad percent-encoding in ${path}`);
  }
  if (seg.length === 1 && seg[0] === 'state') {
    if (method !== 'GET' && method !== 'HEAD') throw methodError(method, path, 'GET');
    return { kind: 'state' };
  }
  if (seg.length === 1 && seg[0] === 'actions') {
    if (method !== 'POST') throw methodError(method, path, 'POST');
    return { kind: 'action', needsBody: true, action: (b) => b };
  }
  if (seg[0] === 'pools' && seg.length >= 3 && seg[2] === 'upstreams') {
    const pool = seg[1] as string;
    if (seg.length === 3) {
      if (method !== 'POST') throw methodError(method, path, 'POST');
      return {
        kind: 'action',
        needsBody: true,
        created: true,
        action: (b) => ({ op: 'add', pool, upstream: field(b, 'upstream') }),
      };
    }
    const upstream = seg[3] as string;
    if (seg.length === 4) {
      if (method !== 'DELETE') throw methodError(method, path, 'DELETE');
      return { kind: 'action', needsBody: false, action: () => ({ op: 'remove', pool, upstream }) };
    }
    if (seg.length === 5) {
      const verb = seg[4] as string;
      if (verb === 'drain' || verb === 'disable' || verb === 'enable') {
        if (method !== 'POST') throw methodError(method, path, 'POST');
        return { kind: 'action', needsBody: false, action: () => ({ op: verb, pool, upstream }) };
      }
      if (verb === 'weight') {
        if (method !== 'PUT' && method !== 'POST') throw methodError(method, path, 'PUT');
        return {
          kind: 'action',
          needsBody: true,
          action: (b) => ({ op: 'weight', pool, upstream, weight: field(b, 'weight') }),
        };
      }
    }
  }
  throw new AdminError(
    'ERR_ADMIN_NOT_FOUND',
    `no such API path: ${method} ${path} (see GET /api/state, POST /api/pools/:pool/upstreams/:upstream/drain|disable|enable, PUT …/weight, POST|DELETE …/upstreams)`,
  );
}

function field(body: unknown, name: string): unknown {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new AdminError('ERR_ADMIN_BAD_REQUEST', `the body must be a JSON object with "${name}"`);
  }
  const v = (body as Record<string, unknown>)[name];
  if (v === undefined) throw new AdminError('ERR_ADMIN_BAD_REQUEST', `${name}: missing`);
  return v;
}

function readJson(req: IncomingMessage): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers['content-length'] ?? 0);
    if (declared > MAX_BODY) {
      reject(new AdminError('ERR_ADMIN_TOO_LARGE', `body over ${MAX_BODY} bytes`));
      req.resume();
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    let failed = false;
    req.on('data', (c: Buffer) => {
      if (failed) return;
      size += c.length;
      if (size > MAX_BODY) {
        failed = true;
        reject(new AdminError('ERR_ADMIN_TOO_LARGE', `body over ${MAX_BODY} bytes`));
        return;
      }
      chunks.push(c);
    });
    req.on('error', (err) => {
      if (!failed) reject(new AdminError('ERR_ADMIN_BAD_REQUEST', `request: ${err.message}`));
    });
    req.on('end', () => {
      if (failed) return;
      const text = Buffer.concat(chunks).toString('utf8');
      if (text.trim() === '') {
        reject(new AdminError('ERR_ADMIN_BAD_REQUEST', 'the body must be JSON, got nothing'));
        return;
      }
      try {
        resolve(JSON.parse(text));
      } catch (err) {
        reject(
          new AdminError(
            'ERR_ADMIN_BAD_REQUEST',
            `the body is not JSON: ${(err as Error).message}`,
          ),
        );
      }
    });
  });
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  res
    .writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' })
    .end(`${JSON.stringify(body)}\n`);
}

function sendError(res: ServerResponse, err: AdminError, allow?: string): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const headers: Record<string, string> = {
    'content-type': 'application/json',
    'cache-control': 'no-store',
  };
  if (err.status === 401) headers['www-authenticate'] = 'Bearer realm="tcpbalancer"';
  if (allow !== undefined) headers.allow = allow;
  res
    .writeHead(err.status, headers)
    .end(`${JSON.stringify({ error: { code: err.code, message: err.message } })}\n`);
}

/** Header values as logged: bounded, never the Authorization header. */
function clip(v: string | string[] | undefined): string | undefined {
  if (v === undefined) return undefined;
  const s = Array.isArray(v) ? v.join(',') : v;
  return s.length > 120 ? `${s.slice(0, 120)}…` : s;
}
