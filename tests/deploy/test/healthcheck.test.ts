import {
  freePort,
  killAll,
  type RunningApp,
  startBackend,
  startProxy,
} from '@tcpbalancer/test-kit';
import { afterAll, describe, expect, it } from 'vitest';
import { effective, parseHealthcheck } from './support/dockerfile.js';
import { list, loadDockerfile, loadYamlDocuments, rec, strings } from './support/files.js';
import { killRuns, run } from './support/run.js';

// The images' HEALTHCHECK command, run for real (node -e …) against the real built apps:
// healthy while the server runs, unhealthy once it is gone. A health check that can never
// pass would keep `docker compose up` waiting forever on `service_healthy`.

const df = loadDockerfile();

function healthcheckArgv(stage: string): string[] {
  const ins = effective(df, stage, 'HEALTHCHECK');
  const hc = ins && parseHealthcheck(ins);
  if (!hc || hc.none || !hc.exec) throw new Error(`${stage}: no exec-form HEALTHCHECK`);
  return [...hc.exec];
}

/** The `node -e` script of the client Job's wait-for-proxy init container. */
function initContainerScript(): string {
  const docs = loadYamlDocuments('deploy/kubernetes/client-job.yaml').map((d) => rec(d, 'doc'));
  const job = docs.find((d) => d.kind === 'Job');
  const spec = rec(rec(rec(job?.spec, 'spec').template, 'template').spec, 'pod spec');
  const init = rec(list(spec.initContainers, 'initContainers')[0], 'init container');
  const script = strings(init.command, 'command')[2];
  if (!script?.includes('http://proxy:9100/')) throw new Error(`unexpected init script: ${script}`);
  return script;
}

afterAll(async () => {
  killRuns();
  await killAll();
});

/** What a started app said, for a failure message. */
const logsOf = (app: RunningApp) => [...app.stdoutLines, app.stderr].join('\n');

describe('the images’ HEALTHCHECK against the real apps', () => {
  it('passes for a running backend and a proxy with a healthy upstream, fails once they stop', async () => {
    const backend = await startBackend({ extra: ['--metrics-port', '0'] });
    const proxy = await startProxy({
      upstreams: [backend.port],
      extra: ['--metrics-port', '0', '--health-interval', '200'],
    });
    const backendCheck = { TCPB_BACKEND_METRICS_PORT: String(backend.metricsPort) };
    const proxyCheck = { TCPB_PROXY_METRICS_PORT: String(proxy.metricsPort) };
    expect(await run(healthcheckArgv('backend'), backendCheck)).toBe(0);
    // The proxy may report healthy only once its first check of the upstream passed.
    let proxyCode: number | null = 1;
    for (let i = 0; i < 20 && proxyCode !== 0; i++) {
      proxyCode = await run(healthcheckArgv('proxy'), proxyCheck);
      if (proxyCode !== 0) await new Promise((r) => setTimeout(r, 250));
    }
    expect(proxyCode, logsOf(proxy)).toBe(0);
    // The Kubernetes Job's init container, pointed at this proxy instead of proxy:9100.
    const wait = initContainerScript().replace(
      'http://proxy:9100/',
      `http://127.0.0.1:${proxy.metricsPort}/`,
    );
    expect(await run(['node', '-e', wait], {})).toBe(0);

    expect(await proxy.stop()).toBe(0);
    expect(await backend.stop()).toBe(0);
    expect(await run(healthcheckArgv('proxy'), proxyCheck)).toBe(1);
    expect(await run(healthcheckArgv('backend'), backendCheck)).toBe(1);
  }, 30_000);

  it('fails for a proxy that has no healthy upstream: compose starts the client only after one', async () => {
    // A port that was just free: nothing listens there.
    const proxy = await startProxy({
      upstreams: [await freePort()],
      extra: ['--metrics-port', '0', '--health-interval', '200'],
    });
    // Upstreams count as up until their first failed checks (--health-fall): poll, bounded.
    const env = { TCPB_PROXY_METRICS_PORT: String(proxy.metricsPort) };
    let code = await run(healthcheckArgv('proxy'), env);
    for (let i = 0; i < 40 && code !== 1; i++) {
      await new Promise((r) => setTimeout(r, 250));
      code = await run(healthcheckArgv('proxy'), env);
    }
    expect(code, logsOf(proxy)).toBe(1);
    expect(await proxy.stop()).toBe(0);
  }, 30_000);
});
