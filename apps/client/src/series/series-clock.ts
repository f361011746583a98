import type { IntervalRecorder } from './interval-recorder.js';

/**
 * Rolls the recorder at each interval boundary: a timeout re-armed for the next boundary (not a
 * setInterval, whose drift would add up over a long run). Unref'd: it never keeps a process up.
 */
export function startSeriesClock(recorder: IntervalRecorder): { stop(): void } {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const arm = () => {
    const delay = Math.max(1, recorder.nextBoundary - performance.now());
    timer = setTimeout(tick, delay);
    timer.unref();
  };
  const tick = () => {
    recorder.roll(performance.now());
    arm();
  };
  arm();
  return {
    stop() {
      clearTimeout(timer);
    },
  };
}
