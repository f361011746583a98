import { describe, expect, it } from 'vitest';
import { ConfigError, HelpRequested } from './errors.js';
import { type MainProcess, type Program, type Running, runMain } from './run-main.js';

type Config = { logLevel: 'silent'; logPretty: false };
const CONFIG: Config = { logLevel: 'silent', logPretty: false };

/** A process double: records what runMain writes and the exit status; signals on demand. */
function fakeProcess(argv: string[] = []) {
  const listeners = new Map<string, (arg: never) => void>();
  let exited: (code: number) => void = () => {};
  const exit = new Promise<number>((resolve) => {
    exited = resolve;
  });
  const out = { stdout: '', stderr: '' };
  const proc = {
    argv: ['node', 'main.js', ...argv],
    env: {},
    stdout: { write: (t: string) => (out.stdout += t) },
    stderr: { write: (t: string) => (out.stderr += t) },
    on: (event: string, listener: (arg: never) => void) => listeners.set(event, listener),
    exit: (code: number) => exited(code),
  } as unknown as MainProcess;
  const emit = (event: string, arg: unknown) => listeners.get(event)?.(arg as never);
  return { proc, out, exit, emit };
}

function program(overrides: Partial<Program<Config>>): Program<Config> {
  return {
    name: 'tcpb-test',
    parse: () => CONFIG,
    start: async () => ({ stop: async () => {} }),
    ...overrides,
  };
}

describe('runMain', () => {
  it('--help: the text on stdout, exit 0; warnings: one prefixed line each on stderr', async () => {
    const f = fakeProcess();
    void runMain(
      program({
        parse: (_argv, _env, warn) => {
          warn('TCPB_X is deprecated: use TCPB_T_X');
          throw new HelpRequested('Usage: t\n');
        },
      }),
      f.proc,
    );
    expect(await f.exit).toBe(0);
    expect(f.out).toEqual({
      stdout: 'Usage: t\n',
      stderr: 'tcpb-test: warning: TCPB_X is deprecated: use TCPB_T_X\n',
    });
  });

  it('a ConfigError from parse or from the run is one line and exit 2', async () => {
    const f = fakeProcess();
    void runMain(
      program({
        parse: () => {
          throw new ConfigError("option '--port <port>' argument 'x' is invalid.");
        },
      }),
      f.proc,
    );
    expect(await f.exit).toBe(2);
    expect(f.out.stderr).toBe("tcpb-test: option '--port <port>' argument 'x' is invalid.\n");
    const g = fakeProcess();
    void runMain(
      program({
        start: async () => ({
          done: Promise.reject(new ConfigError('--output /proc/nope is not writable')),
          stop: async () => {},
        }),
      }),
      g.proc,
    );
    expect(await g.exit).toBe(2);
    expect(g.out.stderr).toBe('tcpb-test: --output /proc/nope is not writable\n');
  });

  it('a port in use at start is one line and exit 2; another failure is exit 1', async () => {
    const f = fakeProcess();
    const inUse = Object.assign(new Error('listen EADDRINUSE'), {
      code: 'EADDRINUSE',
      syscall: 'listen',
      address: '127.0.0.1',
      port: 9,
    });
    void runMain(program({ start: () => Promise.reject(inUse) }), f.proc);
    expect(await f.exit).toBe(2);
    expect(f.out.stderr).toBe(
      'tcpb-test: cannot listen on 127.0.0.1:9: the port is in use (EADDRINUSE)\n',
    );
    const g = fakeProcess();
    void runMain(program({ start: () => Promise.reject(new TypeError('bug')) }), g.proc);
    expect(await g.exit).toBe(1);
  });

  it('first signal: stop(), exit 0; second: force()', async () => {
    const calls: string[] = [];
    let release: () => void = () => {};
    const f = fakeProcess();
    const running: Running = {
      stop: () => {
        calls.push('stop');
        return new Promise<void>((resolve) => {
          release = resolve;
        });
      },
      force: async () => {
        calls.push('force');
      },
    };
    await runMain(program({ start: async () => running }), f.proc);
    f.emit('SIGTERM', 'SIGTERM');
    f.emit('SIGINT', 'SIGINT');
    expect(await f.exit).toBe(0);
    expect(calls).toEqual(['stop', 'force']);
    release();
  });

  it('a signal during start stops the program once started; done gives the status', async () => {
    const f = fakeProcess();
    let started: (r: Running) => void = () => {};
    const calls: string[] = [];
    void runMain(
      program({
        start: () =>
          new Promise<Running>((resolve) => {
            started = resolve;
          }),
      }),
      f.proc,
    );
    await new Promise((r) => setImmediate(r));
    f.emit('SIGTERM', 'SIGTERM');
    let finish: (code: number) => void = () => {};
    started({
      done: new Promise<number>((resolve) => {
        finish = resolve;
      }),
      stop: async () => {
        calls.push('stop');
        finish(1);
      },
    });
    expect(await f.exit).toBe(1);
    expect(calls).toEqual(['stop']);
  });

  it('without force(), a second signal exits 1 at once; an uncaught error exits 1', async () => {
    const f = fakeProcess();
    await runMain(
      program({ start: async () => ({ done: new Promise(() => {}), stop: async () => {} }) }),
      f.proc,
    );
    f.emit('SIGINT', 'SIGINT');
    f.emit('SIGINT', 'SIGINT');
    expect(await f.exit).toBe(1);
    const g = fakeProcess();
    await runMain(program({}), g.proc);
    g.emit('uncaughtException', new Error('boom'));
    expect(await g.exit).toBe(1);
  });
});
