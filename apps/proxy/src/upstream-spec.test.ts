import { describe, expect, it } from 'vitest';
import { formatHostPort, parseUpstreamSpec } from './upstream-spec.js';

describe('parseUpstreamSpec', () => {
  it.each([
    ['127.0.0.1:9000', '127.0.0.1', 9000, 1],
    ['backend:80@5', 'backend', 80, 5],
    ['[::1]:7000', '::1', 7000, 1],
    ['[2001:db8::2]:443@0', '2001:db8::2', 443, 0],
    ['my-svc.default.svc.cluster.local:9000', 'my-svc.default.svc.cluster.local', 9000, 1],
  ])('%s', (text, host, port, weight) => {
    expect(parseUpstreamSpec(text)).toMatchObject({ host, port, weight, text });
  });

  it.each([
    '',
    'host',
    'host:',
    'host:0',
    'host:65536',
    'host:80@x',
    'host:80@1001',
    '::1:80',
    '[::1]80',
    '[nope]:80',
    'bad host:80',
  ])('rejects %j', (text) => {
    expect(() => parseUpstreamSpec(text)).toThrow();
  });

  it('formats IPv6 with brackets', () => {
    expect(formatHostPort('::1', 80)).toBe('[::1]:80');
    expect(formatHostPort('10.0.0.1', 80)).toBe('10.0.0.1:80');
  });
});
