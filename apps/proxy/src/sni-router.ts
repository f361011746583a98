import type { SniRoutes } from './service-config.js';

const LABEL = /^(?!-)[a-z0-9-]{1,63}(?<!-)$/;

/** Why `pattern` is not a server name or `*.name` wildcard; undefined when it is one. */
export function checkServerNamePattern(pattern: string): string | undefined {
  const name = pattern.toLowerCase();
  const body = name.startsWith('*.') ? name.slice(2) : name;
  if (body.length === 0 || body.length > 253) return 'must be a DNS name or *.name';
  for (const label of body.split('.')) {
    if (!LABEL.test(label)) return `"${pattern}" is not a DNS name or *.name wildcard`;
  }
  return undefined;
}

/**
 * Picks the pool for a TLS server name: an exact route first, then the longest matching
 * wildcard (`*.example.com` covers `a.example.com` and `a.b.example.com`, not `example.com`),
 * then the default. Names compare case-insensitively (SNI is ASCII, DNS is case-blind); a
 * trailing dot is ignored. Returns undefined when nothing matches and there is no default.
 */
export function createSniRouter(
  sni: SniRoutes,
): (serverName: string | undefined) => string | undefined {
  const exact = new Map<string, string>();
  const wildcards: { suffix: string; pool: string }[] = [];
  for (const [pattern, pool] of Object.entries(sni.routes)) {
    const p = pattern.toLowerCase();
    if (p.startsWith('*.')) wildcards.push({ suffix: p.slice(1), pool });
    else exact.set(p, pool);
  }
  wildcards.sort((a, b) => b.suffix.length - a.suffix.length);
  return (serverName) => {
    if (serverName === undefined) return sni.default;
    let name = serverName.toLowerCase();
    if (name.endsWith('.')) name = name.slice(0, -1);
    const hit = exact.get(name);
    if (hit !== undefined) return hit;
    for (const w of wildcards) {
      if (name.length > w.suffix.length && name.endsWith(w.suffix)) return w.pool;
    }
    return sni.default;
  };
}
