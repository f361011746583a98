import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { engine } from './support/engine.js';
import {
  bytes,
  FakeCluster,
  podSpecOf,
  renderManifests,
  runFlags,
  workload,
} from './support/pods.js';
import { ComposeProject } from './support/project.js';
import { docker, exitCode, run } from './support/run.js';

// deploy/kubernetes run as containers (see support/pods.ts): three backend pods behind the
// name `backend`, two proxy pods behind `proxy`, then the client Job: its wait-for-proxy init
// container, then the client. Checked: the Job succeeds through the proxy over every
// backend, the pods run as the manifests say (uid, read-only root, no capabilities, no new
// privileges, memory limit), and each container stops within its grace period, 0 or 143.

type Obj = Record<string, unknown>;

const { objects, by } = renderManifests();
const backend = workload(objects, 'Deployment', 'backend');
const proxy = workload(objects, 'Deployment', 'proxy');
const job = workload(objects, 'Job', 'client');
const first = (w: Obj, key = 'containers'): Obj => (podSpecOf(w)[key] as Obj[])[0] as Obj;

/** What a container reports about itself, from inside (node is in every image). */
const SELF = `const fs=require('fs');const st=fs.readFileSync('/proc/self/status','utf8');
const f=(k)=>(new RegExp('^'+k+':\\\\s*(\\\\S+)','m').exec(st)||[])[1];
const w=(p)=>{try{fs.writeFileSync(p,'');fs.unlinkSync(p);return 'ok'}catch(e){return e.code}};
console.log(JSON.stringify({uid:process.getuid(),gid:process.getgid(),capBnd:f('CapBnd'),
capEff:f('CapEff'),noNewPrivs:f('NoNewPrivs'),mem:process.constrainedMemory(),
app:w('/app/probe'),tmp:w('/tmp/probe'),pid1:fs.readFileSync('/proc/1/cmdline','utf8').split('\\0')[0]}))`;

describe.skipIf(engine.missing !== '')(
  `deploy/kubernetes as containers (rendered by ${by})`,
  () => {
    const cluster = new FakeCluster();
    const names: Record<string, string[]> = { backend: [], proxy: [] };
    beforeAll(async () => {
      // The images, as compose builds them (cached after the other files).
      const project = await ComposeProject.create();
      await project.ok(['build'], { timeoutMs: 900_000 });
      await project.down();
      await cluster.create();
      for (const [app, w, replicas] of [
        ['backend', backend, Number((backend.spec as Obj).replicas)],
        ['proxy', proxy, Number((proxy.spec as Obj).replicas)],
      ] as const) {
        for (let i = 0; i < replicas; i++) {
          const pod = `${cluster.id}-${app}-${i}`;
          await cluster.pod(pod, app, String(first(w).image));
          names[app]?.push(await cluster.container(pod, podSpecOf(w), first(w)));
        }
      }
    });
    afterAll(async () => {
      await cluster.destroy();
    });

    it('maps every pod spec setting that matters onto docker run flags', () => {
      const flags = runFlags('pod', podSpecOf(backend), first(backend));
      for (const f of ['--read-only', '--user', '--cap-drop', '--memory', '--cpus', '--pid'])
        expect(flags).toContain(f);
      expect(flags).toContain(String(bytes('1Gi')));
      expect(flags).toContain('no-new-privileges');
      expect(flags).toContain(`TCPB_BACKEND_NAME=pod`);
    });

    it('runs the client Job: the init container waits for the proxy, then 7 of 7 over every backend', async () => {
      const pod = `${cluster.id}-client`;
      const spec = podSpecOf(job);
      await cluster.pod(pod, undefined, String(first(job).image));
      // The init container, to completion: it exits 0 once the proxy's /healthz answers 200.
      const wait = await cluster.container(pod, spec, first(job, 'initContainers'));
      // `docker wait`: blocks until the container ends, prints its exit status.
      await docker(['wait', wait], { timeoutMs: 120_000 });
      expect(await exitCode(wait)).toBe(0);
      const client = await cluster.container(pod, spec, first(job));
      await docker(['wait', client], { timeoutMs: 180_000 });
      const logs = (await run('docker', ['logs', client])).stdout;
      expect(await exitCode(client), logs).toBe(0);
      expect(logs).toMatch(/^\s+ok\s+7$/m);
      expect(logs).toMatch(/^\s+failed\s+0$/m);
      // Every backend answered, each under its pod name (TCPB_BACKEND_NAME from metadata.name).
      for (const b of names.backend ?? []) expect(logs).toContain(b.replace(/-backend$/, ''));
    });

    it.each([
      ['backend', backend],
      ['proxy', proxy],
    ] as const)(
      '%s pods run as the manifest says: uid, read-only root, no caps, memory limit',
      async (app, w) => {
        const c = first(w);
        const sec = c.securityContext as Obj;
        const podSec = podSpecOf(w).securityContext as Obj;
        const limit = bytes(String(((c.resources as Obj).limits as Obj).memory));
        const [name = ''] = names[app] ?? [];
        const r = await run('docker', ['exec', name, 'node', '-e', SELF]);
        expect(r.code, r.stderr).toBe(0);
        const self = JSON.parse(r.stdout) as Record<string, unknown>;
        expect(self.uid).toBe(podSec.runAsUser);
        expect(self.uid).not.toBe(0);
        expect(self.gid).toBe(podSec.runAsGroup);
        expect(sec.readOnlyRootFilesystem).toBe(true);
        expect(self.app, 'the root filesystem is read-only').toBe('EROFS');
        // The backend has an emptyDir on /tmp; the proxy needs no writable folder at all.
        const mountsTmp = ((c.volumeMounts as Obj[] | undefined) ?? []).some(
          (m) => m.mountPath === '/tmp',
        );
        expect(self.tmp).toBe(mountsTmp ? 'ok' : 'EROFS');
        expect(self.capBnd, 'capabilities: drop ALL').toBe('0000000000000000');
        expect(self.capEff).toBe('0000000000000000');
        expect(self.noNewPrivs).toBe('1');
        expect(self.mem).toBe(limit);
        // shareProcessNamespace: PID 1 is the pod's pause process, not node.
        expect(self.pid1).not.toMatch(/node$/);
      },
    );

    it.each([
      ['backend', backend],
      ['proxy', proxy],
    ] as const)(
      '%s containers stop within terminationGracePeriodSeconds with 0 or 143',
      async (app, w) => {
        const grace = Number(podSpecOf(w).terminationGracePeriodSeconds);
        for (const name of names[app] ?? []) {
          const t0 = Date.now();
          await docker(['stop', '-t', String(grace), name], { timeoutMs: (grace + 30) * 1000 });
          expect(Date.now() - t0, name).toBeLessThan(grace * 1000);
          expect([0, 143], name).toContain(await exitCode(name));
        }
      },
    );

    it('a pod stopped in its first moments still ends at once (143 or 0, not 137)', async () => {
      const pod = `${cluster.id}-early`;
      await cluster.pod(pod, undefined, String(first(proxy).image));
      const name = await cluster.container(pod, podSpecOf(proxy), first(proxy));
      const t0 = Date.now();
      await docker(['stop', '-t', '10', name], { timeoutMs: 60_000 });
      expect(Date.now() - t0).toBeLessThan(8000);
      expect([0, 143]).toContain(await exitCode(name));
    });
  },
);
