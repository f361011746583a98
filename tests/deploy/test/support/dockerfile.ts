/**
 * A small Dockerfile parser: enough of the reference (docs.docker.com/reference/dockerfile)
 * to check the project's Dockerfile without a Docker engine. Handles line continuations,
 * comment lines (also inside continuations), `--flag=value` options, exec (JSON) and shell
 * forms, multi-stage builds with `AS name`, global ARGs substituted into FROM, and the
 * effective value of an instruction through a chain of stages (`FROM build AS runtime`).
 * Not handled (the project does not use them): heredocs, the `escape` directive.
 */

export interface Instruction {
  /** Upper-case keyword: FROM, RUN, COPY, … */
  readonly keyword: string;
  /** Everything after the keyword, continuations joined with a space, options included. */
  readonly raw: string;
  /** Leading `--name=value` options (`--from=build`, `--interval=5s`); `--link` → ''. */
  readonly flags: Readonly<Record<string, string>>;
  /** `raw` without the leading options. */
  readonly args: string;
  /** 1-based line of the keyword. */
  readonly line: number;
}

export interface Stage {
  readonly index: number;
  /** The `AS` name, lower-cased (stage names are case-insensitive), if any. */
  readonly name: string | undefined;
  /** The FROM image or stage name, global ARGs substituted. */
  readonly from: string;
  readonly platform: string | undefined;
  /** Instructions after FROM, up to the next FROM. */
  readonly instructions: readonly Instruction[];
}

export interface Dockerfile {
  /** ARGs declared before the first FROM, with their defaults. */
  readonly globalArgs: Readonly<Record<string, string | undefined>>;
  readonly stages: readonly Stage[];
}

export class DockerfileSyntaxError extends Error {
  constructor(
    message: string,
    readonly line: number,
  ) {
    super(`line ${line}: ${message}`);
    this.name = 'DockerfileSyntaxError';
  }
}

const FLAG = /^--([a-z][a-z-]*)(?:=(\S*))?(?:\s+|$)/;

/** Logical lines: continuations joined, comment and blank lines dropped. */
function logicalLines(text: string): { text: string; line: number }[] {
  const out: { text: string; line: number }[] = [];
  const lines = text.split(/\r?\n/);
  let current: string[] = [];
  let start = 0;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] ?? '';
    const trimmed = line.trim();
    // A comment line, also in the middle of a continued instruction (Docker drops it there).
    if (trimmed.startsWith('#')) continue;
    if (current.length === 0) {
      if (trimmed === '') continue;
      start = i + 1;
    } else if (trimmed === '') {
      continue; // empty continuation lines are allowed (and deprecated)
    }
    const continued = /\\\s*$/.test(line);
    current.push(continued ? line.replace(/\\\s*$/, '').trim() : trimmed);
    if (!continued) {
      out.push({ text: current.join(' ').trim(), line: start });
      current = [];
    }
  }
  if (current.length > 0) out.push({ text: current.join(' ').trim(), line: start });
  return out;
}

function parseInstruction(text: string, line: number): Instruction {
  const m = /^(\S+)\s*(.*)$/s.exec(text);
  if (!m) throw new DockerfileSyntaxError(`cannot parse "${text}"`, line);
  const keyword = (m[1] ?? '').toUpperCase();
  const raw = m[2] ?? '';
  const flags: Record<string, string> = {};
  let args = raw;
  for (let f = FLAG.exec(args); f; f = FLAG.exec(args)) {
    flags[f[1] ?? ''] = f[2] ?? '';
    args = args.slice(f[0].length);
  }
  return { keyword, raw, flags, args: args.trim(), line };
}

/** `${NAME}`, `${NAME:-default}` and `$NAME` from `vars`; unknown names become ''. */
export function substitute(
  text: string,
  vars: Readonly<Record<string, string | undefined>>,
): string {
  return text.replace(
    /\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}|\$([A-Za-z_][A-Za-z0-9_]*)/g,
    (_m, braced: string | undefined, dflt: string | undefined, bare: string | undefined) => {
      const value = vars[braced ?? bare ?? ''];
      return value === undefined || value === '' ? (dflt ?? '') : value;
    },
  );
}

/** `NAME=value` pairs (quotes removed), or the legacy `NAME value` form. */
export function parseKeyValues(args: string): Record<string, string> {
  const out: Record<string, string> = {};
  const tokens = shellWords(args);
  if (tokens.length > 0 && !(tokens[0] ?? '').includes('=')) {
    // Legacy `ENV NAME some value`: one pair, the rest of the line is the value.
    const name = tokens[0] ?? '';
    out[name] = args.trim().slice(name.length).trim();
    return out;
  }
  for (const t of tokens) {
    const eq = t.indexOf('=');
    if (eq <= 0) throw new Error(`expected NAME=value, got "${t}"`);
    out[t.slice(0, eq)] = t.slice(eq + 1);
  }
  return out;
}

/** Splits on unquoted whitespace; single and double quotes and backslash escapes removed. */
export function shellWords(text: string): string[] {
  const words: string[] = [];
  let word = '';
  let inWord = false;
  let quote: '"' | "'" | undefined;
  for (let i = 0; i < text.length; i++) {
    const c = text[i] ?? '';
    if (quote) {
      if (c === quote) quote = undefined;
      else if (c === '\\' && quote === '"' && i + 1 < text.length) word += text[++i];
      else word += c;
    } else if (c === '"' || c === "'") {
      quote = c;
      inWord = true;
    } else if (c === '\\' && i + 1 < text.length) {
      word += text[++i];
      inWord = true;
    } else if (/\s/.test(c)) {
      if (inWord) words.push(word);
      word = '';
      inWord = false;
    } else {
      word += c;
      inWord = true;
    }
  }
  if (quote) throw new Error(`unterminated ${quote} in "${text}"`);
  if (inWord) words.push(word);
  return words;
}

export function parseDockerfile(text: string): Dockerfile {
  const globalArgs: Record<string, string | undefined> = {};
  const stages: Stage[] = [];
  let current:
    | {
        index: number;
        name: string | undefined;
        from: string;
        platform: string | undefined;
        instructions: Instruction[];
      }
    | undefined;
  for (const { text: lineText, line } of logicalLines(text)) {
    const ins = parseInstruction(lineText, line);
    if (ins.keyword === 'FROM') {
      const m = /^(\S+)(?:\s+AS\s+(\S+))?$/i.exec(ins.args);
      if (!m)
        throw new DockerfileSyntaxError(`FROM needs "image [AS name]", got "${ins.args}"`, line);
      current = {
        index: stages.length,
        name: m[2]?.toLowerCase(),
        from: substitute(m[1] ?? '', globalArgs),
        platform: ins.flags.platform,
        instructions: [],
      };
      if (current.name && stages.some((s) => s.name === current?.name)) {
        throw new DockerfileSyntaxError(`duplicate stage name "${current.name}"`, line);
      }
      stages.push(current);
    } else if (!current) {
      if (ins.keyword !== 'ARG') {
        throw new DockerfileSyntaxError(
          `${ins.keyword} before the first FROM (only ARG may be)`,
          line,
        );
      }
      const [name, value] = splitArg(ins.args);
      globalArgs[name] = value;
    } else {
      current.instructions.push(ins);
    }
  }
  if (stages.length === 0) throw new DockerfileSyntaxError('no FROM', 1);
  return { globalArgs, stages };
}

function splitArg(args: string): [string, string | undefined] {
  const eq = args.indexOf('=');
  if (eq === -1) return [args.trim(), undefined];
  const value = shellWords(args.slice(eq + 1)).join(' ');
  return [args.slice(0, eq).trim(), value];
}

/** The stage named `name` (or with that index), or undefined. */
export function findStage(df: Dockerfile, name: string): Stage | undefined {
  const lower = name.toLowerCase();
  return (
    df.stages.find((s) => s.name === lower) ??
    (/^\d+$/.test(name) ? df.stages[Number(name)] : undefined)
  );
}

/**
 * The stage and its ancestors, nearest first: `FROM build AS x` continues stage `build`.
 * Throws on an unknown stage name.
 */
export function stageChain(df: Dockerfile, name: string): Stage[] {
  const chain: Stage[] = [];
  let stage = findStage(df, name);
  if (!stage) throw new Error(`no stage "${name}"`);
  while (stage) {
    chain.push(stage);
    const parent: Stage | undefined = df.stages
      .slice(0, stage.index)
      .find((s) => s.name !== undefined && s.name === stage?.from.toLowerCase());
    stage = parent;
  }
  return chain;
}

/** The external image a stage is ultimately built FROM. */
export function baseImage(df: Dockerfile, name: string): string {
  const chain = stageChain(df, name);
  return chain[chain.length - 1]?.from ?? '';
}

/** The last instruction with this keyword that applies to the stage (its own or inherited). */
export function effective(df: Dockerfile, name: string, keyword: string): Instruction | undefined {
  for (const stage of stageChain(df, name)) {
    const found = stage.instructions.filter((i) => i.keyword === keyword).at(-1);
    if (found) return found;
  }
  return undefined;
}

/** Every instruction with this keyword in the stage and its ancestors, oldest first. */
export function allOf(df: Dockerfile, name: string, keyword: string): Instruction[] {
  return stageChain(df, name)
    .reverse()
    .flatMap((s) => s.instructions.filter((i) => i.keyword === keyword));
}

/** The environment a container of this stage starts with (the ENV instructions, in order). */
export function stageEnv(df: Dockerfile, name: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const ins of allOf(df, name, 'ENV')) {
    // Docker substitutes with the values from before the instruction, also for pairs on the
    // same line: `ENV A=1 B=$A` gives B the previous A.
    const before = { ...env };
    for (const [k, v] of Object.entries(parseKeyValues(ins.args))) env[k] = substitute(v, before);
  }
  return env;
}

/** The JSON array of an exec-form instruction, or undefined for the shell form. */
export function execForm(args: string): string[] | undefined {
  if (!args.trimStart().startsWith('[')) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(args);
  } catch {
    return undefined; // Docker runs an invalid JSON array as a shell command
  }
  if (!Array.isArray(parsed) || !parsed.every((x) => typeof x === 'string')) return undefined;
  return parsed as string[];
}

export type Healthcheck =
  | { readonly none: true }
  | {
      readonly none: false;
      readonly options: Readonly<Record<string, string>>;
      /** Exec form: the argv; shell form: undefined (see `shell`). */
      readonly exec: readonly string[] | undefined;
      readonly shell: string | undefined;
    };

export function parseHealthcheck(ins: Instruction): Healthcheck {
  if (/^NONE$/i.test(ins.args)) return { none: true };
  const m = /^CMD\s+(.*)$/is.exec(ins.args);
  if (!m)
    throw new DockerfileSyntaxError(`HEALTHCHECK needs CMD or NONE, got "${ins.args}"`, ins.line);
  const cmd = m[1] ?? '';
  const exec = execForm(cmd);
  return { none: false, options: ins.flags, exec, shell: exec ? undefined : cmd };
}

/** EXPOSE'd ports of the stage (inherited too), as numbers; `/tcp` suffixes dropped. */
export function exposedPorts(df: Dockerfile, name: string): number[] {
  const env = stageEnv(df, name);
  return allOf(df, name, 'EXPOSE').flatMap((i) =>
    shellWords(substitute(i.args, env)).map((p) => Number(p.replace(/\/(tcp|udp)$/, ''))),
  );
}

/** Sources and destination of a COPY/ADD (options removed). */
export function copyArgs(ins: Instruction): { sources: string[]; dest: string } {
  const words = execForm(ins.args) ?? shellWords(ins.args);
  if (words.length < 2)
    throw new DockerfileSyntaxError(`${ins.keyword} needs a source and a destination`, ins.line);
  return { sources: words.slice(0, -1), dest: words[words.length - 1] ?? '' };
}
