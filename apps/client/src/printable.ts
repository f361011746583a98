/**
 * Text from outside (a server's error code or message, a backend name, a file name from the
 * input folder) made safe to print on a terminal: control and format characters (ESC starts
 * terminal escape sequences, BIDI overrides reorder a line) become '?', and the length is capped.
 */
export function printable(text: string, maxLength: number): string {
  const s = text.replace(/[\p{Cc}\p{Cf}]/gu, '?');
  return s.length > maxLength ? `${s.slice(0, maxLength - 1)}…` : s;
}
