// Loaded with `--import` into the proxy under profile (bench/profile.ts). Starts V8's CPU
// profiler and its sampling heap profiler — with the objects that young and old GCs collected
// kept in the samples, i.e. every allocation sampled, not only what survives — once the load
// begins (SIGUSR2), so start-up does not fill the lists; writes both files at exit.
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';
import { join } from 'node:path';

const dir = process.env.TCPB_PROFILE_DIR;
if (dir) {
  const session = new Session();
  session.connect();
  let started = false;
  let stopped = false;
  // The first SIGUSR2 starts the profilers; the second stops them and writes the files, so that
  // the shutdown (thousands of connections closed and logged) stays out of the lists.
  process.on('SIGUSR2', () => {
    if (started) return stop();
    started = true;
    session.post('Profiler.enable');
    session.post('Profiler.setSamplingInterval', { interval: 100 });
    session.post('Profiler.start');
    session.post('HeapProfiler.enable');
    session.post('HeapProfiler.startSampling', {
      samplingInterval: 4096,
      includeObjectsCollectedByMajorGC: true,
      includeObjectsCollectedByMinorGC: true,
    });
  });
  // An in-process session answers synchronously, so the files are written before the exit ends.
  process.on('exit', stop);
  function stop() {
    if (!started || stopped) return;
    stopped = true;
    session.post('Profiler.stop', (err, res) => {
      if (!err) writeFileSync(join(dir, 'proxy.cpuprofile'), JSON.stringify(res.profile));
    });
    session.post('HeapProfiler.stopSampling', (err, res) => {
      if (!err) writeFileSync(join(dir, 'proxy.heapprofile'), JSON.stringify(res.profile));
    });
  }
}
