import { describe, expect, it } from 'vitest';
import { APP_NAMES, type AppName, ENV_PREFIX, RUNTIME_ENV_VARS } from './support/apps.js';
import { stageEnv } from './support/dockerfile.js';
import {
  list,
  loadDockerfile,
  loadYaml,
  loadYamlDocuments,
  readText,
  rec,
} from './support/files.js';

// Issue 11.5: each program reads its own variables (TCPB_PROXY_…, TCPB_BACKEND_…,
// TCPB_CLIENT_…); the v0.1 names (TCPB_PORT, …) still work with a deprecation warning, and
// the deployment files must not be what prints it. Every variable they set or read is checked
// against the prefix of the program it is for.

const FILES = [
  'Dockerfile',
  'docker-compose.yml',
  'deploy/kubernetes/backend.yaml',
  'deploy/kubernetes/proxy.yaml',
  'deploy/kubernetes/client-job.yaml',
];

function ownPrefix(app: AppName, name: string): boolean {
  return name.startsWith(ENV_PREFIX[app]) || RUNTIME_ENV_VARS.has(name);
}

describe('environment variable names in the deployment files', () => {
  it('uses no v0.1 name (TCPB_ without a program prefix) outside comments', () => {
    for (const file of FILES) {
      const code = readText(file)
        .split('\n')
        .filter((l) => !l.trimStart().startsWith('#'));
      const legacy = code.flatMap(
        (l) => l.match(/\bTCPB_(?!PROXY_|BACKEND_|CLIENT_)[A-Z_]+/g) ?? [],
      );
      expect(legacy, file).toEqual([]);
    }
  });

  it.each(APP_NAMES)("sets only %s's own variables in its image (ENV, HEALTHCHECK)", (app) => {
    for (const name of Object.keys(stageEnv(loadDockerfile(), app)))
      expect(ownPrefix(app, name), name).toBe(true);
    const text = readText('Dockerfile');
    const stage = text.slice(text.indexOf(`AS ${app}\n`));
    const end = stage.indexOf('\nFROM ');
    for (const m of (end === -1 ? stage : stage.slice(0, end)).matchAll(/process\.env\.(\w+)/g))
      expect(ownPrefix(app, m[1] ?? ''), m[1]).toBe(true);
  });

  it('gives each compose service its own program’s variables', () => {
    const services = rec(rec(loadYaml('docker-compose.yml'), 'compose').services, 'services');
    for (const app of APP_NAMES) {
      const svc = rec(services[app], app);
      for (const name of Object.keys(rec(svc.environment ?? {}, 'environment')))
        expect(ownPrefix(app, name), `${app}: ${name}`).toBe(true);
      const check = JSON.stringify(svc.healthcheck ?? '');
      for (const m of check.matchAll(/process\.env\.(\w+)/g))
        expect(ownPrefix(app, m[1] ?? ''), `${app} healthcheck: ${m[1]}`).toBe(true);
    }
  });

  it('gives each Kubernetes container its own program’s variables', () => {
    for (const app of APP_NAMES) {
      const file = `deploy/kubernetes/${app === 'client' ? 'client-job' : app}.yaml`;
      for (const o of loadYamlDocuments(file).map((d) => rec(d, file))) {
        const spec = rec(o.spec, 'spec').template;
        if (spec === undefined) continue;
        const pod = rec(rec(spec, 'template').spec, 'template.spec');
        for (const c of list(pod.containers, 'containers').map((x) => rec(x, 'container'))) {
          for (const e of list(c.env ?? [], 'env').map((x) => rec(x, 'env')))
            expect(ownPrefix(app, String(e.name)), `${file}: ${String(e.name)}`).toBe(true);
        }
      }
    }
  });
});
