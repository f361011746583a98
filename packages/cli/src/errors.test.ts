import { describe, expect, it } from 'vitest';
import { CLI_ERROR_CODES, CodedError, ConfigError, HelpRequested, ListenError } from './errors.js';

describe('errors', () => {
  it('have stable codes and names, and keep their cause', () => {
    const cause = new Error('inner');
    const config = new ConfigError('bad', { cause });
    expect(config).toBeInstanceOf(CodedError);
    expect(config).toMatchObject({
      code: 'ERR_CONFIG',
      name: 'ConfigError',
      message: 'bad',
      cause,
    });
    const help = new HelpRequested('Usage: x');
    expect(help).toMatchObject({
      code: 'ERR_HELP_REQUESTED',
      name: 'HelpRequested',
      text: 'Usage: x',
    });
    expect(new ListenError('in use', { cause })).toMatchObject({ code: 'ERR_LISTEN', cause });
  });

  it('one code per meaning: the table has no duplicate', () => {
    const codes = Object.values(CLI_ERROR_CODES);
    expect(new Set(codes).size).toBe(codes.length);
  });

  it('a package base class names its subclasses and keeps its code type', () => {
    class AppError extends CodedError<'ERR_A' | 'ERR_B'> {}
    class AError extends AppError {
      constructor() {
        super('ERR_A', 'a');
      }
    }
    const e = new AError();
    expect(e).toMatchObject({ name: 'AError', code: 'ERR_A' });
    expect(e).toBeInstanceOf(AppError);
  });
});
