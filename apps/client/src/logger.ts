import { type DestinationStream, type Logger, pino } from 'pino';
import pretty from 'pino-pretty';
import type { ClientConfig } from './config.js';

/**
 * The root logger: pino JSON lines on stderr (fd 2), always: stdout carries only what the run
 * produces (the human summary, or the --json object), so logs never interleave with it nor with
 * the progress bar, and `> summary.txt` captures the summary alone. pino-pretty with
 * --log-pretty. Synchronous destinations (in this thread, not a transport worker) so that log
 * lines come out in order with the `error:` lines written on stderr.
 */
export function createLogger(config: Pick<ClientConfig, 'logLevel' | 'logPretty'>): Logger {
  const fd = 2;
  const options = { name: 'tcpbalancer-client', level: config.logLevel };
  const dest: DestinationStream = config.logPretty
    ? pretty({ destination: fd, sync: true, colorize: false })
    : pino.destination({ fd, sync: true });
  return pino(options, dest);
}
