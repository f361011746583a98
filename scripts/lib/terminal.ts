/** The scripts' terminal: colours only on a TTY and only without NO_COLOR (no-color.org). */

const color = process.stdout.isTTY === true && (process.env.NO_COLOR ?? '') === '';
const paint =
  (code: string) =>
  (s: string): string =>
    color ? `\x1b[${code}m${s}\x1b[0m` : s;

export const bold = paint('1');
export const dim = paint('2');
export const red = paint('31');
export const green = paint('32');

/** A path relative to the working directory when it is below it, else absolute. */
export function rel(p: string, relative: (from: string, to: string) => string): string {
  const r = relative(process.cwd(), p);
  return r === '' ? '.' : r.startsWith('..') ? p : r;
}

/** Last `n` lines of a text, for a failure report. */
export function lastLines(text: string, n = 15): string {
  return text.trimEnd().split('\n').slice(-n).join('\n');
}
