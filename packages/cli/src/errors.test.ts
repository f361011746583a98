import { describe, expect, it } from 'vitest';
import { CliError, HelpRequested, UsageError } from './errors.js';

describe('errors', () => {
  it('have stable codes and names, and keep their cause', () => {
    const cause = new Error('inner');
    const usage = new UsageError('bad', { cause });
    expect(usage).toBeInstanceOf(CliError);
    expect(usage).toMatchObject({ code: 'ERR_USAGE', name: 'UsageError', message: 'bad', cause });
    const help = new HelpRequested('Usage: x');
    expect(help).toBeInstanceOf(CliError);
    expect(help).toMatchObject({
      code: 'ERR_HELP_REQUESTED',
      name: 'HelpRequested',
      text: 'Usage: x',
    });
    expect(new CliError('x').code).toBe('ERR_CLI');
  });
});
