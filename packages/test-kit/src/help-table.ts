/**
 * A program's `--help` (commander's layout) as table rows and as Markdown: how
 * docs/configuration.md is generated, and how its test keeps it equal to what the programs say.
 */

export interface HelpRow {
  /** `-p, --port <port>` */
  readonly flags: string;
  readonly description: string;
  /** As --help shows it (`7000`, `"round-robin"`), or '' when there is none. */
  readonly defaultValue: string;
  readonly choices: string;
  readonly env: string;
}

/** The option lines of `help`: a flag line starts at column 2, its continuation lines deeper. */
function optionEntries(help: string): string[] {
  const lines = help.split('\n');
  const start = lines.findIndex((l) => /^Options:\s*$/.test(l));
  if (start < 0) return [];
  const entries: string[] = [];
  for (const line of lines.slice(start + 1)) {
    if (/^ {2}-/.test(line)) entries.push(line.trim());
    else if (/^ {3,}\S/.test(line) && entries.length > 0)
      entries[entries.length - 1] += ` ${line.trim()}`;
    else break; // the end of the Options section
  }
  return entries;
}

/** Splits `flags  description (choices: …, default: …, env: …)` into its parts. */
function parseEntry(entry: string): HelpRow {
  const [, flags = entry, rest = ''] = /^(.*?\S)(?: {2,}(.*))?$/.exec(entry) ?? [];
  // commander's own group is the last one that opens with a key and runs to the end; an earlier
  // `(default: the host name)` is the app's prose and stays in the description
  const at = Math.max(
    ...['(choices: ', '(default: ', '(preset: ', '(env: '].map((k) => rest.lastIndexOf(k)),
  );
  const meta = at >= 0 && rest.endsWith(')') ? rest.slice(at + 1, -1) : undefined;
  const description = (meta === undefined ? rest : rest.slice(0, at)).trim();
  const inner = meta ?? '';
  const pick = (re: RegExp) => re.exec(inner)?.[1] ?? '';
  return {
    flags,
    description,
    choices: pick(/choices: (.*?)(?:, (?:default|preset|env): |$)/),
    defaultValue: pick(/default: (.*?)(?:, (?:preset|env): |$)/),
    env: pick(/env: ([A-Z0-9_]+)/),
  };
}

/** Every option of a commander `--help` text, in order, without `--help` and `--version`. */
export function parseHelp(help: string): HelpRow[] {
  return optionEntries(help)
    .map(parseEntry)
    .filter((r) => !/--help\b|--version\b/.test(r.flags));
}

const cell = (s: string) => s.replaceAll('|', '\\|');

/** The rows as a Markdown table: flag, env var, default, what (choices appended). */
export function helpMarkdown(rows: readonly HelpRow[]): string {
  const out = ['| flag | env var | default | what |', '| --- | --- | --- | --- |'];
  for (const r of rows) {
    const what = r.choices ? `${r.description} (one of ${r.choices})` : r.description;
    const env = r.env ? `\`${r.env}\`` : '';
    const def = r.defaultValue ? `\`${r.defaultValue}\`` : '';
    out.push(`| \`${cell(r.flags)}\` | ${env} | ${cell(def)} | ${cell(what)} |`);
  }
  return out.join('\n');
}
