import { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { envOption, envVarOf, envVarsOf } from './env-option.js';

describe('envVarOf', () => {
  it('is TCPB_ + the long flag in UPPER_SNAKE, with or without the dashes', () => {
    expect(envVarOf('idle-timeout')).toBe('TCPB_IDLE_TIMEOUT');
    expect(envVarOf('--idle-timeout')).toBe('TCPB_IDLE_TIMEOUT');
    expect(envVarOf('port')).toBe('TCPB_PORT');
  });
});

describe('envOption', () => {
  it('reads the env var of its long flag, also after a short one', () => {
    expect(envOption('-p, --port <port>', 'port').envVar).toBe('TCPB_PORT');
    expect(envOption('--max-conns <n>').envVar).toBe('TCPB_MAX_CONNS');
    expect(envOption('--log-pretty', 'pretty').envVar).toBe('TCPB_LOG_PRETTY');
  });

  it('refuses flags without a long form', () => {
    expect(() => envOption('-p <port>')).toThrow(TypeError);
  });
});

describe('envVarsOf', () => {
  it('lists the env vars of the options, in order, frozen, skipping options without one', () => {
    const cli = new Command()
      .addOption(envOption('--b-flag <v>'))
      .option('--plain')
      .addOption(envOption('--a-flag'));
    const vars = envVarsOf(cli);
    expect(vars).toEqual(['TCPB_B_FLAG', 'TCPB_A_FLAG']);
    expect(Object.isFrozen(vars)).toBe(true);
  });
});
