/**
 * .dockerignore matching as the Docker CLI does it (moby/patternmatcher): patterns are
 * Go filepath.Match globs plus `**`, matched against the path relative to the context root;
 * a pattern that matches a directory excludes everything below it; later patterns win, and
 * `!pattern` re-includes.
 */
export interface IgnoreRule {
  readonly negate: boolean;
  readonly pattern: string;
  readonly regex: RegExp;
}

function globToRegex(glob: string): RegExp {
  let re = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i] ?? '';
    if (c === '*') {
      if (glob[i + 1] === '*') {
        // `**` matches any number of directories (also none); `**/` may vanish entirely.
        i++;
        if (glob[i + 1] === '/') {
          i++;
          re += '(?:.*/)?';
        } else {
          re += '.*';
        }
      } else {
        re += '[^/]*';
      }
    } else if (c === '?') {
      re += '[^/]';
    } else if (c === '[') {
      const close = glob.indexOf(']', i);
      if (close === -1) throw new Error(`unterminated [ in .dockerignore pattern "${glob}"`);
      re += `[${glob.slice(i + 1, close).replace(/^!/, '^')}]`;
      i = close;
    } else {
      re += c.replace(/[.+^${}()|\\]/g, '\\$&');
    }
  }
  return new RegExp(`^${re}$`);
}

export function parseDockerignore(text: string): IgnoreRule[] {
  const rules: IgnoreRule[] = [];
  for (const line of text.split(/\r?\n/)) {
    let p = line.trim();
    if (p === '' || p.startsWith('#')) continue;
    const negate = p.startsWith('!');
    if (negate) p = p.slice(1).trim();
    p = p.replace(/^\/+/, '').replace(/\/+$/, '');
    if (p === '') continue;
    rules.push({ negate, pattern: p, regex: globToRegex(p) });
  }
  return rules;
}

/** True when `relPath` (forward slashes, relative to the context) is left out of the context. */
export function isIgnored(rules: readonly IgnoreRule[], relPath: string): boolean {
  const parts = relPath.split('/');
  // The path itself or any of its parent directories.
  const candidates = parts.map((_, i) => parts.slice(0, i + 1).join('/'));
  let ignored = false;
  for (const rule of rules) {
    if (candidates.some((c) => rule.regex.test(c))) ignored = !rule.negate;
  }
  return ignored;
}

/**
 * True when the classic builder (`DOCKER_BUILDKIT=0`: the CLI's own context walk) leaves
 * `relPath` out although the rules keep it. That walk skips an excluded folder unless the
 * text of some `!` re-include starts with the folder's path (moby archive.TarWithOptions), so
 * a re-include with a wildcard in its folder part (`!tests/*\/package.json`) never reaches the
 * files under `tests/`. BuildKit matches properly; only literal re-includes work in both.
 */
export function classicBuilderDrops(rules: readonly IgnoreRule[], relPath: string): boolean {
  if (isIgnored(rules, relPath)) return false;
  const parts = relPath.split('/');
  for (let i = 1; i < parts.length; i++) {
    const dir = parts.slice(0, i).join('/');
    if (!isIgnored(rules, dir)) continue;
    const walkedInto = rules.some((r) => r.negate && `${r.pattern}/`.startsWith(`${dir}/`));
    if (!walkedInto) return true;
  }
  return false;
}
