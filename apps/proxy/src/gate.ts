import type { Socket } from 'node:net';
import { Admission } from './admission.js';
import { cidrMatcher } from './cidr.js';
import type { Gate } from './listener.js';
import type { Logger } from './logger.js';
import type { ListenerConfig } from './service-config.js';
import { createSniRouter } from './sni-router.js';
import { SourceLimiter } from './source-limiter.js';

/** What an Admission needs: the listener's settings, made ready once per config. */
export interface GateSteps {
  readonly proxyProtocol?: ListenerConfig['proxyProtocol'] & {
    readonly isTrusted: (address: string) => boolean;
  };
  readonly sni?: {
    readonly route: (serverName: string | undefined) => string | undefined;
    readonly maxHelloBytes: number;
    readonly helloTimeout: number;
  };
  readonly limiter?: SourceLimiter;
  /** The pool when there is no SNI routing. */
  readonly pool?: string;
  readonly logger: Logger;
}

export interface SourceGate extends Gate {
  readonly limiter?: SourceLimiter;
}

/**
 * The admission steps a listener's config asks for — PROXY header from trusted peers, per-source
 * limits, TLS server-name routing — or undefined when it asks for none (the plain accept path
 * then costs nothing more). A reload passes the previous gate so that the per-source tracker
 * (with the counts of connections still open) carries over.
 */
export function createGate(
  config: ListenerConfig,
  logger: Logger,
  previous?: Gate,
): SourceGate | undefined {
  const route = config.route;
  const sni = 'sni' in route ? route.sni : undefined;
  const pp = config.proxyProtocol;
  const per = config.perSource;
  if (sni === undefined && pp === undefined && per === undefined) return undefined;
  let limiter: SourceLimiter | undefined;
  if (per !== undefined) {
    limiter = (previous as SourceGate | undefined)?.limiter;
    if (limiter !== undefined) limiter.configure(per);
    else limiter = new SourceLimiter(per);
  }
  const steps: GateSteps = {
    logger,
    ...('pool' in route ? { pool: route.pool } : {}),
    ...(pp ? { proxyProtocol: { ...pp, isTrusted: cidrMatcher(pp.trusted) } } : {}),
    ...(sni
      ? {
          sni: {
            route: createSniRouter(sni),
            maxHelloBytes: sni.maxHelloBytes,
            helloTimeout: sni.helloTimeout,
          },
        }
      : {}),
    ...(limiter ? { limiter } : {}),
  };
  return {
    ...(limiter ? { limiter } : {}),
    admit(socket: Socket, listener) {
      new Admission(socket, listener, steps).start();
    },
    close() {},
    ...(limiter ? { sources: () => limiter.tracked } : {}),
  };
}
