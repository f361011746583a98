import { describe, expect, it } from 'vitest';
import {
  baseImage,
  copyArgs,
  DockerfileSyntaxError,
  effective,
  execForm,
  exposedPorts,
  parseDockerfile,
  parseHealthcheck,
  parseKeyValues,
  shellWords,
  stageChain,
  stageEnv,
} from './support/dockerfile.js';
import { classicBuilderDrops, isIgnored, parseDockerignore } from './support/dockerignore.js';

// The parser the deploy tests rely on, checked on its own: a wrong parser would make the
// Dockerfile checks pass (or fail) for the wrong reason.
const SAMPLE = `# syntax=docker/dockerfile:1
ARG BASE=node:20-slim
ARG UNSET

FROM \${BASE} AS Build
ENV A=1 B="two words" \\
    # a comment inside a continuation is dropped
    C=\${A}x
ENV D=\${A}y
RUN npm ci \\
  && npm run build
EXPOSE 7000/tcp 9100

FROM build AS app
USER node
ENV LEGACY some value here
COPY --from=build --chown=node /app/dist/ dist/
HEALTHCHECK --interval=5s --timeout=3s CMD ["node", "-e", "process.exit(0)"]
ENTRYPOINT ["node", "main.js"]
CMD --port 1

FROM --platform=linux/amd64 $BASE
HEALTHCHECK NONE
ENTRYPOINT node main.js
`;

describe('parseDockerfile', () => {
  const df = parseDockerfile(SAMPLE);

  it('finds the stages, names lower-cased, global ARGs substituted into FROM', () => {
    expect(df.stages.map((s) => [s.name, s.from])).toEqual([
      ['build', 'node:20-slim'],
      ['app', 'build'],
      [undefined, 'node:20-slim'],
    ]);
    expect(df.globalArgs).toEqual({ BASE: 'node:20-slim', UNSET: undefined });
    expect(df.stages[2]?.platform).toBe('linux/amd64');
  });

  it('joins continuations and drops comment lines inside them', () => {
    const run = df.stages[0]?.instructions.find((i) => i.keyword === 'RUN');
    expect(run?.args).toBe('npm ci && npm run build');
    expect(run?.line).toBe(10);
  });

  it('follows a stage chain to its base image and inherits ENV and EXPOSE', () => {
    expect(stageChain(df, 'app').map((s) => s.name)).toEqual(['app', 'build']);
    expect(baseImage(df, 'app')).toBe('node:20-slim');
    expect(stageEnv(df, 'app')).toEqual({
      A: '1',
      B: 'two words',
      C: 'x',
      D: '1y',
      LEGACY: 'some value here',
    });
    expect(exposedPorts(df, 'app')).toEqual([7000, 9100]);
    expect(effective(df, 'app', 'USER')?.args).toBe('node');
    expect(effective(df, 'build', 'USER')).toBeUndefined();
  });

  it('tells the exec form from the shell form', () => {
    expect(execForm(effective(df, 'app', 'ENTRYPOINT')?.args ?? '')).toEqual(['node', 'main.js']);
    expect(execForm(effective(df, '2', 'ENTRYPOINT')?.args ?? '')).toBeUndefined();
    expect(execForm('[not json')).toBeUndefined();
    expect(execForm('["node", 1]')).toBeUndefined();
  });

  it('parses options of COPY and HEALTHCHECK', () => {
    const copy = effective(df, 'app', 'COPY');
    expect(copy?.flags).toEqual({ from: 'build', chown: 'node' });
    expect(copy && copyArgs(copy)).toEqual({ sources: ['/app/dist/'], dest: 'dist/' });
    const hc = effective(df, 'app', 'HEALTHCHECK');
    expect(hc && parseHealthcheck(hc)).toEqual({
      none: false,
      options: { interval: '5s', timeout: '3s' },
      exec: ['node', '-e', 'process.exit(0)'],
      shell: undefined,
    });
    const none = effective(df, '2', 'HEALTHCHECK');
    expect(none && parseHealthcheck(none)).toEqual({ none: true });
  });

  it('rejects what Docker rejects', () => {
    expect(() => parseDockerfile('RUN true\n')).toThrow(DockerfileSyntaxError);
    expect(() => parseDockerfile('# nothing\n')).toThrow(/no FROM/);
    expect(() => parseDockerfile('FROM a AS x\nFROM b AS X\n')).toThrow(/duplicate stage/);
    expect(() => stageChain(df, 'nope')).toThrow(/no stage/);
  });
});

describe('shellWords and parseKeyValues', () => {
  it('splits on unquoted whitespace', () => {
    expect(shellWords(`a "b c" 'd e' f\\ g`)).toEqual(['a', 'b c', 'd e', 'f g']);
    expect(() => shellWords('"open')).toThrow(/unterminated/);
  });
  it('reads NAME=value pairs and the legacy form', () => {
    expect(parseKeyValues('X=1 Y="a b"')).toEqual({ X: '1', Y: 'a b' });
    expect(parseKeyValues('X a b')).toEqual({ X: 'a b' });
  });
});

describe('.dockerignore matching', () => {
  const rules = parseDockerignore(
    [
      '# comment',
      '**/node_modules',
      '/dist',
      'docs/*.md',
      'tests/**',
      '!tests/*/package.json',
      '',
    ].join('\n'),
  );
  it.each([
    ['node_modules/x/index.js', true],
    ['apps/proxy/node_modules/x', true],
    ['dist/main.js', true],
    ['apps/proxy/dist/main.js', false],
    ['docs/a.md', true],
    ['docs/sub/a.md', false],
    ['tests/deploy/test/a.test.ts', true],
    ['tests/deploy/package.json', false],
    ['package.json', false],
  ])('%s ignored: %s', (path, ignored) => {
    expect(isIgnored(rules, path)).toBe(ignored);
  });
});

describe('.dockerignore under the classic builder', () => {
  const wildcard = parseDockerignore('tests/**\n!tests/*/package.json\n');
  const literal = parseDockerignore('tests\n!tests/deploy/package.json\n');
  it('drops a file that only a wildcard re-include brings back (what BuildKit keeps)', () => {
    expect(isIgnored(wildcard, 'tests/deploy/package.json')).toBe(false);
    expect(classicBuilderDrops(wildcard, 'tests/deploy/package.json')).toBe(true);
  });
  it('keeps a file that a literal re-include names', () => {
    expect(isIgnored(literal, 'tests/deploy/package.json')).toBe(false);
    expect(classicBuilderDrops(literal, 'tests/deploy/package.json')).toBe(false);
    expect(isIgnored(literal, 'tests/deploy/test/a.test.ts')).toBe(true);
    expect(classicBuilderDrops(literal, 'apps/proxy/src/main.ts')).toBe(false);
  });
});
