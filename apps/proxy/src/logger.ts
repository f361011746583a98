import { pino } from 'pino';

/**
 * The pino subset the proxy uses; a pino logger is one, so is `silentLogger`. The root logger is
 * made by the app shell (`createRootLogger` in @tcpbalancer/cli, with its batched writer).
 */
export type Logger = Pick<
  pino.Logger,
  'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal' | 'child' | 'isLevelEnabled'
>;

export const silentLogger: Logger = pino({ level: 'silent' });
