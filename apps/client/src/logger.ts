import { type DestinationStream, type Logger, pino } from 'pino';
import pretty from 'pino-pretty';
import type { ClientConfig } from './config.js';

/**
 * The root logger: pino JSON lines on stdout, or on stderr with --json so that the summary
 * object stays alone on stdout; pino-pretty with --log-pretty. Synchronous destinations (in
 * this thread, not a transport worker) so that log lines and the summary come out in order.
 */
export function createLogger(
  config: Pick<ClientConfig, 'json' | 'logLevel' | 'logPretty'>,
): Logger {
  const fd = config.json ? 2 : 1;
  const options = { name: 'tcpbalancer-client', level: config.logLevel };
  const dest: DestinationStream = config.logPretty
    ? pretty({ destination: fd, sync: true, colorize: false })
    : pino.destination({ fd, sync: true });
  return pino(options, dest);
}
