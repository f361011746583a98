import type { Socket } from 'node:net';
import { ProxyHeaderParser, type ProxyProtocolError } from '@tcpbalancer/proxy-protocol';
import { peekClientHello } from './client-hello.js';
import type { ClientIdentity } from './connection.js';
import type { GateSteps } from './gate.js';
import type { Listener } from './listener.js';
import type { SourceSlot } from './source-limiter.js';

/**
 * One socket's way in through a listener's gate, before its connection job exists:
 * 1. PROXY protocol (when the listener requires it): the peer must be trusted, then the header
 *    must arrive whole and valid within the header timeout; never guessed.
 * 2. Per-source limits, on the header's client address (or the peer's).
 * 3. TLS server-name routing: the ClientHello is peeked (bounded in bytes and time), never
 *    consumed; its name picks the pool.
 * Any failure closes the socket at once and counts it on the listener with its reason. On
 * success the bytes read are put back (`unshift`) and the connection starts; the upstream sees
 * exactly what the client sent after the PROXY header.
 */
export class Admission {
  #timer: NodeJS.Timeout | undefined;
  #parser: ProxyHeaderParser | undefined;
  #identity: ClientIdentity | undefined;
  #slot: SourceSlot | undefined;
  /** Bytes read past the PROXY header (the start of the TLS hello, or of the payload). */
  #held: Buffer = Buffer.alloc(0);
  #phase: 'proxy' | 'hello' | 'done' = 'done';
  readonly #onData = (chunk: Buffer) => this.#data(chunk);
  readonly #onEnd = () =>
    this.#fail(
      this.#phase === 'proxy' ? 'proxy-protocol' : 'sni-bad-hello',
      'closed by the client',
    );
  readonly #onError = () => this.#fail('client-error', 'socket error');
  /** Destroyed from outside (shutdown) or reset: done at once, not at the timeout. */
  readonly #onClose = () => this.#fail('client-error', 'closed');

  constructor(
    private readonly socket: Socket,
    private readonly listener: Listener,
    private readonly steps: GateSteps,
  ) {}

  start(): void {
    const { socket, listener, steps } = this;
    // The 'error' listener in the same tick the socket is ours: a reset must never crash us.
    socket.on('error', this.#onError);
    socket.once('close', this.#onClose);
    listener.pending.add(socket);
    const pp = steps.proxyProtocol;
    if (pp !== undefined) {
      if (!pp.isTrusted(socket.remoteAddress ?? '')) {
        this.#fail('untrusted-source', `PROXY header not accepted from ${socket.remoteAddress}`);
        return;
      }
      this.#parser = new ProxyHeaderParser({
        accept: pp.accept,
        maxHeaderBytes: pp.maxHeaderBytes,
      });
      this.#wait('proxy', pp.headerTimeout, 'proxy-timeout');
      return;
    }
    this.#afterHeader();
  }

  #wait(phase: 'proxy' | 'hello', ms: number, timeoutReason: string): void {
    this.#phase = phase;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = setTimeout(
      () => this.#fail(timeoutReason, `nothing complete within ${ms} ms`),
      ms,
    );
    if (!this.socket.listenerCount('data')) {
      this.socket.on('data', this.#onData);
      this.socket.on('end', this.#onEnd);
    }
  }

  #data(chunk: Buffer): void {
    if (this.#phase === 'proxy') {
      let result: ReturnType<ProxyHeaderParser['push']>;
      try {
        result = (this.#parser as ProxyHeaderParser).push(chunk);
      } catch (err) {
        this.#fail('proxy-protocol', (err as ProxyProtocolError).code);
        return;
      }
      if (result === undefined) return;
      const { header, rest } = result;
      if (header.source !== undefined) {
        this.#identity = {
          source: header.source,
          ...(header.destination ? { destination: header.destination } : {}),
        };
      }
      this.#held = rest;
      this.#afterHeader();
      return;
    }
    if (this.#phase === 'hello') {
      this.#held = this.#held.length === 0 ? chunk : Buffer.concat([this.#held, chunk]);
      this.#peek();
    }
  }

  /** The client is known: limits, then the route. */
  #afterHeader(): void {
    const { steps, socket } = this;
    if (steps.limiter !== undefined) {
      const address = this.#identity?.source.address ?? socket.remoteAddress ?? '';
      const slot = steps.limiter.admit(address);
      if (typeof slot === 'string') {
        this.#fail(slot, address);
        return;
      }
      this.#slot = slot;
    }
    if (steps.sni === undefined) {
      this.#admit(steps.pool as string);
      return;
    }
    this.#wait('hello', steps.sni.helloTimeout, 'sni-timeout');
    this.#peek();
  }

  #peek(): void {
    const sni = this.steps.sni;
    if (sni === undefined || this.#held.length === 0) return;
    const peek = peekClientHello(this.#held, sni.maxHelloBytes);
    switch (peek.kind) {
      case 'more':
        return;
      case 'not-tls':
        this.#fail('sni-not-tls', 'not a TLS handshake');
        return;
      case 'too-large':
        this.#fail('sni-too-large', `ClientHello over ${sni.maxHelloBytes} bytes`);
        return;
      case 'malformed':
        this.#fail('sni-bad-hello', peek.why);
        return;
      case 'hello': {
        const pool = sni.route(peek.serverName);
        if (pool === undefined) this.#fail('sni-no-route', peek.serverName ?? '(no server name)');
        else this.#admit(pool);
      }
    }
  }

  #stop(): void {
    this.#phase = 'done';
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
    // Paused before the 'data' listener goes: not a byte may be emitted to nobody.
    this.socket.pause();
    this.socket.off('data', this.#onData);
    this.socket.off('end', this.#onEnd);
    this.socket.off('error', this.#onError);
    this.socket.off('close', this.#onClose);
  }

  #admit(pool: string): void {
    const { socket, listener } = this;
    this.#stop();
    if (this.#held.length > 0) socket.unshift(this.#held);
    this.#held = Buffer.alloc(0);
    listener.pending.delete(socket);
    listener.start(socket, pool, this.#identity, this.#slot);
  }

  #fail(reason: string, detail: string): void {
    if (this.#phase === 'done' && !this.listener.pending.has(this.socket)) return;
    this.#stop();
    this.#slot?.release();
    this.#held = Buffer.alloc(0);
    this.steps.logger.debug(
      { client: this.socket.remoteAddress, listener: this.listener.name, reason, detail },
      'connection refused',
    );
    this.listener.refuse(this.socket, reason);
    this.listener.admissionEnded(this.socket);
  }
}
