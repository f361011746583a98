/**
 * Parses a duration flag into milliseconds: `500ms`, `10s`, `2m`, `1.5s`, or a plain number in
 * `plainUnit` (seconds for --duration, like wrk's `-d 10`; milliseconds for --timeout, like the
 * proxy's times). Returns undefined for anything else, the caller names the flag in its error.
 */
export function parseDurationMs(text: string, plainUnit: 'ms' | 's'): number | undefined {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m)?\s*$/i.exec(text);
  if (!m) return undefined;
  const value = Number(m[1]);
  const unit = (m[2] ?? plainUnit).toLowerCase();
  const factor = unit === 'ms' ? 1 : unit === 's' ? 1000 : 60_000;
  const ms = Math.round(value * factor);
  return Number.isSafeInteger(ms) ? ms : undefined;
}
