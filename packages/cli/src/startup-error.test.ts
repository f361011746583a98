import { describe, expect, it } from 'vitest';
import { ConfigError, ListenError } from './errors.js';
import { asStartupError } from './startup-error.js';

function netError(code: string, extra: Record<string, unknown>): Error {
  return Object.assign(new Error(`listen ${code}`), { code, ...extra });
}

describe('asStartupError', () => {
  it('turns listen failures into one-line ListenErrors naming the address', () => {
    const inUse = asStartupError(
      netError('EADDRINUSE', { syscall: 'listen', address: '0.0.0.0', port: 7000 }),
    );
    expect(inUse).toBeInstanceOf(ListenError);
    expect(inUse?.message).toBe('cannot listen on 0.0.0.0:7000: the port is in use (EADDRINUSE)');
    expect(inUse?.code).toBe('ERR_LISTEN');
    expect(
      asStartupError(netError('EACCES', { syscall: 'listen', address: '::1', port: 80 }))?.message,
    ).toBe(
      'cannot listen on [::1]:80: permission denied (ports below 1024 need privileges) (EACCES)',
    );
  });

  it('finds the failure in a cause chain, keeps ConfigErrors, and leaves bugs alone', () => {
    const inner = netError('EADDRNOTAVAIL', { syscall: 'listen', address: '10.9.9.9', port: 1 });
    expect(asStartupError(new Error('wrapped', { cause: inner }))?.message).toMatch(
      /^cannot listen on 10\.9\.9\.9:1: no such address/,
    );
    const config = new ConfigError('bad');
    expect(asStartupError(config)).toBe(config);
    expect(asStartupError(new TypeError('x is undefined'))).toBeUndefined();
    expect(asStartupError(netError('ECONNRESET', { syscall: 'read' }))).toBeUndefined();
    expect(asStartupError('a string')).toBeUndefined();
  });
});
