import { InvalidArgumentError } from 'commander';
import { describe, expect, it } from 'vitest';
import { integerParser, parseBooleanEnv } from './parsers.js';

describe('parseBooleanEnv', () => {
  it.each(['1', 'true', 'TRUE', ' yes ', 'On'])('%j is true', (v) => {
    expect(parseBooleanEnv(v)).toBe(true);
  });
  it.each(['', '0', 'false', 'No', ' off'])('%j is false', (v) => {
    expect(parseBooleanEnv(v)).toBe(false);
  });
  it.each(['maybe', 'ture', '2', 'y', 'enabled'])('%j is neither', (v) => {
    expect(parseBooleanEnv(v)).toBeUndefined();
  });
});

describe('integerParser', () => {
  const port = integerParser(0, 65535);

  it('accepts whole numbers in range, spaces around, digit groups', () => {
    expect(port('0')).toBe(0);
    expect(port(' 8080 ')).toBe(8080);
    expect(port('65535')).toBe(65535);
    expect(port('65_535')).toBe(65535);
    expect(Object.is(port('-0'), 0)).toBe(true);
    expect(integerParser(-5, 5)('-5')).toBe(-5);
    expect(integerParser(1, 2 ** 50)('1_048_576')).toBe(1_048_576);
  });

  it.each(['', ' ', 'x', '1.5', '1e3', '0x10', '+1', '_1', '1_', '1__0', '1 2', '١٢'])(
    '%j is not an integer',
    (v) => {
      expect(() => port(v)).toThrow(InvalidArgumentError);
      expect(() => port(v)).toThrow(/is not an integer/);
    },
  );

  it('rejects out of range and unsafe integers, naming the range', () => {
    expect(() => port('65536')).toThrow('65536 is not within 0-65535.');
    expect(() => port('-1')).toThrow('-1 is not within 0-65535.');
    expect(() => integerParser(0, Number.MAX_VALUE)('9007199254740993')).toThrow(/not within/);
  });

  it('keeps a newline in the value off the message line', () => {
    expect(() => port('1\nx')).toThrow('"1\\nx" is not an integer.');
  });
});
