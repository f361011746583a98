import type { GateFactory } from './listener.js';
import type { Logger } from './logger.js';
import type { ListenerConfig } from './service-config.js';

/** The admission steps a listener's config asks for; undefined when it asks for none. */
export const createGate = (config: ListenerConfig, _logger: Logger): ReturnType<GateFactory> => {
  if ('pool' in config.route && !config.proxyProtocol && !config.perSource) return undefined;
  throw new Error('not yet');
};
