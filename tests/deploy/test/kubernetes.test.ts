import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { Script } from 'node:vm';
import { Deployment } from 'kubernetes-models/apps/v1';
import { Job } from 'kubernetes-models/batch/v1';
import { Namespace, Service } from 'kubernetes-models/v1';
import { describe, expect, it } from 'vitest';
import { type AppName, parseInvocation } from './support/apps.js';
import { allOf, copyArgs, effective, stageEnv } from './support/dockerfile.js';
import {
  list,
  loadDockerfile,
  loadYaml,
  loadYamlDocuments,
  ROOT,
  rec,
  strings,
} from './support/files.js';
import { here, typeErrors } from './support/k8s-types.js';

// deploy/kubernetes checked without a cluster: every container's args and env through the
// app's real parser, and the wiring between them (Service selectors and ports, probe ports,
// the proxy's upstream name, the client's proxy address).

const DIR = 'deploy/kubernetes';
const df = loadDockerfile();
const kustomization = rec(loadYaml(`${DIR}/kustomization.yaml`), 'kustomization.yaml');
const resources = strings(kustomization.resources, 'resources');
const objects = resources.flatMap((file) =>
  loadYamlDocuments(`${DIR}/${file}`).map((o) => rec(o, file)),
);

function find(kind: string, name: string): Record<string, unknown> {
  const found = objects.filter((o) => o.kind === kind && rec(o.metadata, 'metadata').name === name);
  if (found.length !== 1) throw new Error(`expected one ${kind} ${name}, found ${found.length}`);
  return found[0] as Record<string, unknown>;
}

const podSpec = (workload: Record<string, unknown>) =>
  rec(rec(rec(workload.spec, 'spec').template, 'template').spec, 'template.spec');
const podLabels = (workload: Record<string, unknown>) =>
  rec(
    rec(rec(rec(workload.spec, 'spec').template, 'template').metadata, 'template.metadata').labels,
    'labels',
  );

function containers(
  workload: Record<string, unknown>,
  key = 'containers',
): Record<string, unknown>[] {
  return list(podSpec(workload)[key], key).map((c) => rec(c, 'container'));
}
function container(workload: Record<string, unknown>): Record<string, unknown> {
  const cs = containers(workload);
  expect(cs).toHaveLength(1);
  return cs[0] as Record<string, unknown>;
}

/** `tcpbalancer/proxy[:tag]` → proxy. */
function appOf(c: Record<string, unknown>): AppName {
  const m = /^tcpbalancer\/(proxy|backend|client)(:[\w.-]+)?$/.exec(String(c.image));
  if (!m) throw new Error(`not an app image: ${String(c.image)}`);
  return m[1] as AppName;
}

/**
 * The container's environment as the app sees it: the image's ENV, then the manifest's env
 * (a downward-API value stands in as a plausible string).
 */
function envOf(c: Record<string, unknown>, app: AppName): Record<string, string> {
  const env: Record<string, string> = { ...stageEnv(df, app) };
  for (const e of list(c.env ?? [], 'env').map((x) => rec(x, 'env[]'))) {
    const name = String(e.name);
    if (e.value !== undefined) env[name] = String(e.value);
    else if (e.valueFrom !== undefined) {
      const path = rec(rec(e.valueFrom, 'valueFrom').fieldRef, 'fieldRef').fieldPath;
      expect(path, `${name}: fieldRef`).toBe('metadata.name');
      env[name] = 'backend-7d9c8b6f5-x2k4q';
    } else throw new Error(`${name}: neither value nor valueFrom`);
  }
  return env;
}

function configOf(workload: Record<string, unknown>): Record<string, unknown> {
  const c = container(workload);
  expect(c.command, 'the image ENTRYPOINT runs: no command override').toBeUndefined();
  const app = appOf(c);
  return parseInvocation(app, strings(c.args ?? [], 'args'), envOf(c, app));
}

function containerPort(c: Record<string, unknown>, nameOrNumber: unknown): number {
  const ports = list(c.ports, 'ports').map((p) => rec(p, 'port'));
  if (typeof nameOrNumber === 'number') {
    expect(ports.map((p) => p.containerPort)).toContain(nameOrNumber);
    return nameOrNumber;
  }
  const found = ports.find((p) => p.name === nameOrNumber);
  if (!found) throw new Error(`no container port named ${String(nameOrNumber)}`);
  return Number(found.containerPort);
}

function servicePort(svc: Record<string, unknown>, name: string): Record<string, unknown> {
  const port = list(rec(svc.spec, 'spec').ports, 'ports')
    .map((p) => rec(p, 'port'))
    .find((p) => p.name === name);
  if (!port) throw new Error(`service has no port named ${name}`);
  return port;
}

/** Every label of the Service selector is on the workload's pods. */
function selects(svc: Record<string, unknown>, workload: Record<string, unknown>): boolean {
  const selector = rec(rec(svc.spec, 'spec').selector, 'selector');
  const labels = podLabels(workload);
  return Object.entries(selector).every(([k, v]) => labels[k] === v);
}

const backend = find('Deployment', 'backend');
const backendSvc = find('Service', 'backend');
const proxy = find('Deployment', 'proxy');
const proxySvc = find('Service', 'proxy');
const job = find('Job', 'client');

describe('deploy/kubernetes', () => {
  it('lists every manifest of the folder in kustomization.yaml, and pins the three images', () => {
    const files = readdirSync(join(ROOT, DIR)).filter(
      (f) => /\.ya?ml$/.test(f) && f !== 'kustomization.yaml',
    );
    expect([...resources].sort()).toEqual(files.sort());
    expect(kustomization.namespace).toBe('tcpbalancer');
    const images = list(kustomization.images, 'images').map((i) => String(rec(i, 'image').name));
    expect(images.sort()).toEqual([
      'tcpbalancer/backend',
      'tcpbalancer/client',
      'tcpbalancer/proxy',
    ]);
    const used = [backend, proxy, job].flatMap((w) =>
      [...containers(w), ...(podSpec(w).initContainers ? containers(w, 'initContainers') : [])].map(
        (c) => String(c.image),
      ),
    );
    for (const image of used) expect(images).toContain(image);
  });

  it('validates every object against the Kubernetes API schemas (kubernetes-models)', () => {
    // Types, required fields and enums of the API's OpenAPI schema (unknown keys are not
    // flagged by these schemas: the parsers below catch unknown flags and env vars).
    const models: Record<string, new (o: never) => { validate(): void }> = {
      'v1/Namespace': Namespace,
      'v1/Service': Service,
      'apps/v1/Deployment': Deployment,
      'batch/v1/Job': Job,
    };
    const validate = (o: Record<string, unknown>) => {
      const Model = models[`${String(o.apiVersion)}/${String(o.kind)}`];
      if (!Model) throw new Error(`no schema for ${String(o.apiVersion)} ${String(o.kind)}`);
      new Model(o as never).validate();
    };
    for (const o of objects) expect(() => validate(o), `${String(o.kind)}`).not.toThrow();
    // The schemas do catch mistakes: a string where an integer goes, a missing selector.
    const broken = structuredClone(backend) as { spec: Record<string, unknown> };
    broken.spec.replicas = '3';
    expect(() => validate(broken as Record<string, unknown>)).toThrow(/replicas/);
    delete broken.spec.selector;
    expect(() => validate(broken as Record<string, unknown>)).toThrow(/selector/);
  });

  it('has no key the Kubernetes API does not know (its TypeScript types, strictly)', () => {
    // The JSON schemas above accept unknown keys; the API's types, as object literals, do not.
    // A copy with a typo goes through the same pass, to show that it is caught.
    const typo = structuredClone(backend) as { spec: Record<string, unknown> };
    typo.spec.replica = 3;
    const errors = typeErrors([...objects, typo as Record<string, unknown>], here(import.meta.url));
    expect(errors.slice(0, -1)).toEqual(objects.map(() => []));
    expect(errors.at(-1)?.join('\n')).toMatch(/known properties.*replica\b/);
  }, 60_000);

  it.each([
    ['backend', backend],
    ['proxy', proxy],
    ['client', job],
  ] as const)(
    '%s: node is not PID 1 (shareProcessNamespace), so an early SIGTERM ends it',
    (_app, workload) => {
      // Kubernetes has no `init: true`; with a shared process namespace the pause container is
      // PID 1 and node gets the kernel's default SIGTERM action before its handlers exist.
      expect(podSpec(workload).shareProcessNamespace).toBe(true);
    },
  );

  it.each([
    ['backend', backend],
    ['proxy', proxy],
    ['client', job],
  ] as const)('runs %s with args and env its own parser accepts', (app, workload) => {
    expect(appOf(container(workload))).toBe(app);
    expect(() => configOf(workload)).not.toThrow();
  });

  it.each([
    ['backend', backend],
    ['proxy', proxy],
  ] as const)(
    '%s: container ports and /healthz probes match --port and --metrics-port',
    (_app, workload) => {
      const config = configOf(workload);
      const c = container(workload);
      expect(containerPort(c, 'tcp')).toBe(config.port);
      expect(containerPort(c, 'metrics')).toBe(config.metricsPort);
      for (const probe of ['readinessProbe', 'livenessProbe']) {
        const http = rec(rec(c[probe], probe).httpGet, `${probe}.httpGet`);
        expect(http.path).toBe('/healthz');
        expect(containerPort(c, http.port)).toBe(config.metricsPort);
      }
      const annotations = rec(
        rec(rec(rec(workload.spec, 'spec').template, 'template').metadata, 'metadata').annotations,
        'annotations',
      );
      expect(Number(annotations['prometheus.io/port'])).toBe(config.metricsPort);
    },
  );

  it.each([
    ['backend', backend],
    ['proxy', proxy],
    ['client', job],
  ] as const)('%s: resources, non-root, no privilege escalation', (_app, workload) => {
    const pod = podSpec(workload);
    const podSec = rec(pod.securityContext, 'securityContext');
    expect(podSec.runAsNonRoot).toBe(true);
    expect(podSec.runAsUser).not.toBe(0);
    const all = [
      ...containers(workload),
      ...(pod.initContainers ? containers(workload, 'initContainers') : []),
    ];
    for (const c of all) {
      const res = rec(c.resources, 'resources');
      for (const kind of ['requests', 'limits']) {
        expect(Object.keys(rec(res[kind], kind)).sort(), `${String(c.name)} ${kind}`).toEqual([
          'cpu',
          'memory',
        ]);
      }
      const sec = rec(c.securityContext, 'container securityContext');
      expect(sec.allowPrivilegeEscalation).toBe(false);
      expect(sec.readOnlyRootFilesystem).toBe(true);
    }
  });

  it('runs the backends behind a headless Service that the proxy resolves by name', () => {
    expect(rec(backend.spec, 'spec').replicas).toBe(3);
    expect(rec(backendSvc.spec, 'spec').clusterIP).toBe('None');
    expect(selects(backendSvc, backend)).toBe(true);
    expect(selects(backendSvc, proxy)).toBe(false);
    const b = configOf(backend);
    const tcp = servicePort(backendSvc, 'tcp');
    // Headless: no port translation, clients connect to the pod's port itself.
    expect(tcp.port).toBe(b.port);
    expect(containerPort(container(backend), tcp.targetPort)).toBe(b.port);

    const p = configOf(proxy);
    const upstreams = p.upstreams as { host: string; port: number }[];
    const svcName = String(rec(backendSvc.metadata, 'metadata').name);
    expect(upstreams.map((u) => [u.host.split('.')[0], u.port])).toEqual([[svcName, b.port]]);
    expect(p.dnsInterval as number).toBeGreaterThan(0);
    // Backends finish the images in flight before the kubelet's SIGKILL.
    expect(Number(podSpec(backend).terminationGracePeriodSeconds) * 1000).toBeGreaterThan(
      b.shutdownTimeout as number,
    );
    // Pod names are the backends' names in the client's summary.
    expect(envOf(container(backend), 'backend').TCPB_BACKEND_NAME).toBeDefined();
  });

  it('puts the proxy behind an ordinary Service, and drains it before the kubelet kills it', () => {
    const spec = rec(proxySvc.spec, 'spec');
    expect(spec.clusterIP).toBeUndefined();
    expect(selects(proxySvc, proxy)).toBe(true);
    expect(selects(proxySvc, backend)).toBe(false);
    const p = configOf(proxy);
    const tcp = servicePort(proxySvc, 'tcp');
    expect(containerPort(container(proxy), tcp.targetPort)).toBe(p.port);
    const grace = Number(podSpec(proxy).terminationGracePeriodSeconds) * 1000;
    expect(grace).toBeGreaterThan(p.drainTimeout as number);
    expect(rec(proxy.spec, 'spec').replicas as number).toBeGreaterThanOrEqual(2);
  });

  it('runs the client as a Job through the proxy Service, output on a writable volume', () => {
    const spec = rec(job.spec, 'spec');
    expect(spec.backoffLimit).toBeTypeOf('number');
    expect(spec.activeDeadlineSeconds).toBeTypeOf('number');
    expect(['Never', 'OnFailure']).toContain(podSpec(job).restartPolicy);
    const c = configOf(job);
    const tcp = servicePort(proxySvc, 'tcp');
    expect(c.proxy).toEqual({ host: rec(proxySvc.metadata, 'metadata').name, port: tcp.port });
    const mountsOf = list(container(job).volumeMounts, 'volumeMounts').map((m) => rec(m, 'mount'));
    expect(mountsOf.map((m) => m.mountPath)).toContain(c.output);
    // --input is relative to the image's WORKDIR and baked into the client image.
    expect(effective(df, 'client', 'WORKDIR')?.args).toBe('/app');
    const baked = allOf(df, 'client', 'COPY')
      .filter((i) => i.flags.from === undefined)
      .map((i) => copyArgs(i).dest.replace(/\/$/, ''));
    expect(baked).toContain(String(c.input));
    expect(existsSync(join(ROOT, String(c.input)))).toBe(true);
  });

  it('waits for the proxy /healthz in an init container that compiles and probes the right port', () => {
    const init = containers(job, 'initContainers');
    expect(init).toHaveLength(1);
    const cmd = strings(init[0]?.command, 'command');
    expect(cmd.slice(0, 2)).toEqual(['node', '-e']);
    expect(() => new Script(cmd[2] ?? '')).not.toThrow();
    const metrics = servicePort(proxySvc, 'metrics');
    const name = String(rec(proxySvc.metadata, 'metadata').name);
    expect(cmd[2]).toContain(`http://${name}:${String(metrics.port)}/healthz`);
    expect(containerPort(container(proxy), metrics.targetPort)).toBe(configOf(proxy).metricsPort);
  });

  const kubectl = (() => {
    try {
      execFileSync('kubectl', ['version', '--client'], { stdio: 'ignore', timeout: 10_000 });
      return true;
    } catch {
      return false;
    }
  })();
  it.skipIf(!kubectl)(
    'renders with kustomize (kubectl kustomize), where kubectl is installed',
    () => {
      const out = execFileSync('kubectl', ['kustomize', join(ROOT, DIR)], {
        encoding: 'utf8',
        timeout: 30_000,
      });
      expect(out).toMatch(/kind: Deployment/);
      expect(out).toMatch(/image: tcpbalancer\/proxy:dev/);
      expect(out).toMatch(/namespace: tcpbalancer/);
    },
  );
});
