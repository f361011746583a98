import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse, parseAllDocuments } from 'yaml';
import { docker, ROOT } from './run.js';

// Kubernetes pod specs run as Docker containers, since no cluster can be had here (kind and
// k3s need images from Docker Hub). A pod becomes what the kubelet makes of it: a "pause"
// container that holds the pod's network and PID namespaces (an init as PID 1, like the
// pause process: it reaps, and the apps are not PID 1, which is what shareProcessNamespace
// buys), on a network where each Service name is a DNS alias of its pods; then the pod's
// containers join those namespaces with the spec's args, env, user, read-only root
// filesystem, dropped capabilities, no-new-privileges, memory and CPU limits, and emptyDir
// volumes as tmpfs. What is not emulated: probes (the Job's wait step is), a Service's
// virtual IP (the name resolves to the pods), rolling updates.

type Obj = Record<string, unknown>;
const o = (v: unknown): Obj => (v ?? {}) as Obj;
const a = (v: unknown): Obj[] => (Array.isArray(v) ? (v as Obj[]) : []);

const DIR = join(ROOT, 'deploy/kubernetes');

/**
 * The objects of deploy/kubernetes as `kubectl kustomize` renders them where kubectl is
 * installed; elsewhere the same files with the kustomization's `images:` tags applied.
 */
export function renderManifests(): { objects: Obj[]; by: string } {
  try {
    const out = execFileSync('kubectl', ['kustomize', DIR], { encoding: 'utf8', timeout: 60_000 });
    return { objects: parseAllDocuments(out).map((d) => o(d.toJS())), by: 'kubectl kustomize' };
  } catch (err) {
    if ((err as { code?: string }).code !== 'ENOENT') throw err;
    return { objects: ownRender(), by: 'the kustomization read here (no kubectl)' };
  }
}

function ownRender(): Obj[] {
  const k = o(parse(readFileSync(join(DIR, 'kustomization.yaml'), 'utf8')));
  const images = a(k.images);
  const objects = (k.resources as string[]).flatMap((f) =>
    parseAllDocuments(readFileSync(join(DIR, f), 'utf8')).map((d) => o(d.toJS())),
  );
  const retag = (c: Obj) => {
    const rule = images.find((i) => i.name === c.image);
    if (rule) c.image = `${String(rule.newName ?? rule.name)}:${String(rule.newTag ?? 'latest')}`;
  };
  for (const obj of objects) {
    const spec = o(o(o(obj.spec).template).spec);
    for (const c of [...a(spec.containers), ...a(spec.initContainers)]) retag(c);
  }
  return objects;
}

export function workload(objects: Obj[], kind: string, name: string): Obj {
  const found = objects.find((x) => x.kind === kind && o(x.metadata).name === name);
  if (!found) throw new Error(`no ${kind} ${name} in deploy/kubernetes`);
  return found;
}

export const podSpecOf = (w: Obj): Obj => o(o(o(w.spec).template).spec);

/** Kubernetes quantities: 512Mi, 1Gi, 500m, "2". */
export function bytes(q: string): number {
  const m = /^(\d+)(Ki|Mi|Gi)?$/.exec(q);
  if (!m) throw new Error(`memory quantity not understood: ${q}`);
  const unit: Record<string, number> = { Ki: 1024, Mi: 1024 ** 2, Gi: 1024 ** 3 };
  return Number(m[1]) * (unit[m[2] ?? ''] ?? 1);
}
export function cpus(q: string): number {
  return q.endsWith('m') ? Number(q.slice(0, -1)) / 1000 : Number(q);
}

/** securityContext (the container's over the pod's) and resources.limits as flags. */
function securityFlags(spec: Obj, c: Obj): string[] {
  const podSec = o(spec.securityContext);
  const sec = o(c.securityContext);
  const flags: string[] = [];
  const uid = sec.runAsUser ?? podSec.runAsUser;
  const gid = sec.runAsGroup ?? podSec.runAsGroup;
  if (uid !== undefined) flags.push('--user', [uid, gid].filter((x) => x !== undefined).join(':'));
  if (sec.readOnlyRootFilesystem === true) flags.push('--read-only');
  const drop = (o(sec.capabilities).drop as string[] | undefined) ?? [];
  flags.push(...drop.flatMap((cap) => ['--cap-drop', cap]));
  if (sec.allowPrivilegeEscalation === false) flags.push('--security-opt', 'no-new-privileges');
  const limits = o(o(c.resources).limits);
  if (limits.memory) flags.push('--memory', String(bytes(String(limits.memory))));
  if (limits.cpu) flags.push('--cpus', String(cpus(String(limits.cpu))));
  return flags;
}

/** env, with the downward API's metadata.name as the pod's name. */
function envFlags(pod: string, c: Obj): string[] {
  return a(c.env).flatMap((e) => {
    if (e.value !== undefined) return ['-e', `${String(e.name)}=${String(e.value)}`];
    const path = o(o(e.valueFrom).fieldRef).fieldPath;
    if (path !== 'metadata.name') throw new Error(`env ${String(e.name)}: ${String(path)}?`);
    return ['-e', `${String(e.name)}=${pod}`];
  });
}

/** volumeMounts of emptyDir volumes: a fresh, world-writable tmpfs for the pod's life. */
function mountFlags(spec: Obj, c: Obj): string[] {
  const volumes = a(spec.volumes);
  return a(c.volumeMounts).flatMap((m) => {
    const v = volumes.find((x) => x.name === m.name);
    if (!v || v.emptyDir === undefined) {
      throw new Error(`volume ${String(m.name)}: only emptyDir is emulated`);
    }
    return ['--mount', `type=tmpfs,destination=${String(m.mountPath)},tmpfs-mode=1777`];
  });
}

/** `docker run` flags for one container of a pod (the pod's namespaces joined). */
export function runFlags(pod: string, spec: Obj, c: Obj): string[] {
  const command = (c.command as string[] | undefined) ?? [];
  const args = (c.args as string[] | undefined) ?? [];
  // command replaces the image's ENTRYPOINT, args its CMD, as in Kubernetes.
  const entry = command.length > 0 ? ['--entrypoint', command[0] ?? ''] : [];
  return [
    ...['--network', `container:${pod}`, '--pid', `container:${pod}`],
    ...securityFlags(spec, c),
    ...envFlags(pod, c),
    ...mountFlags(spec, c),
    ...entry,
    String(c.image),
    ...command.slice(1),
    ...args,
  ];
}

/** One emulated cluster: a network, pods on it, and their removal. */
export class FakeCluster {
  readonly id = `tcpbk-${process.pid}-${randomBytes(3).toString('hex')}`;
  readonly network = this.id;
  private readonly label = `tcpbalancer.test=${this.id}`;

  async create(): Promise<void> {
    await docker(['network', 'create', '--label', this.label, this.network]);
  }

  /**
   * Starts the pause container of a pod named `pod`, reachable as `service` (a Service name
   * selecting it), hostname the pod name like a kubelet does.
   */
  async pod(pod: string, service: string | undefined, image: string): Promise<void> {
    const alias = service ? ['--network-alias', service] : [];
    await docker([
      'run',
      '--detach',
      '--name',
      pod,
      '--label',
      this.label,
      '--hostname',
      pod,
      '--network',
      this.network,
      ...alias,
      '--init',
      '--read-only',
      '--cap-drop',
      'ALL',
      '--user',
      '65535:65535',
      '--entrypoint',
      'sleep',
      image,
      'infinity',
    ]);
  }

  /** Starts a container of the pod (detached); returns its name. */
  async container(pod: string, spec: Obj, c: Obj): Promise<string> {
    const name = `${pod}-${String(c.name)}`;
    await docker([
      'run',
      '--detach',
      '--name',
      name,
      '--label',
      this.label,
      ...runFlags(pod, spec, c),
    ]);
    return name;
  }

  /** Removes every container and the network this cluster made. */
  async destroy(): Promise<void> {
    const ids = (await docker(['ps', '-aq', '--filter', `label=${this.label}`]))
      .split('\n')
      .filter(Boolean);
    if (ids.length > 0) await docker(['rm', '-f', '-v', ...ids], { timeoutMs: 120_000 });
    await docker(['network', 'rm', this.network]).catch(() => undefined);
  }
}
