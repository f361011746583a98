/** Splitting a child's output into lines and parsing pino's JSON ones. */
import type { Readable } from 'node:stream';

/** A parsed log line: pino's JSON object, `msg` and `port` typed for the lines tests read. */
export interface LogLine {
  readonly msg?: string;
  readonly port?: number;
  readonly [key: string]: unknown;
}

/** Calls `onLine` for every line of `stream` (the last one even without a newline). */
export function eachLine(stream: Readable, onLine: (line: string) => void): void {
  let buf = '';
  stream.setEncoding('utf8');
  stream.on('data', (chunk: string) => {
    buf += chunk;
    let nl = buf.indexOf('\n');
    while (nl >= 0) {
      onLine(buf.slice(0, nl));
      buf = buf.slice(nl + 1);
      nl = buf.indexOf('\n');
    }
  });
  stream.on('end', () => {
    if (buf !== '') onLine(buf);
    buf = '';
  });
}

/** The line as a JSON object, or undefined (pretty logs, the client's human summary). */
export function parseLogLine(line: string): LogLine | undefined {
  if (!line.startsWith('{')) return undefined;
  try {
    const v: unknown = JSON.parse(line);
    return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as LogLine) : undefined;
  } catch {
    return undefined;
  }
}
