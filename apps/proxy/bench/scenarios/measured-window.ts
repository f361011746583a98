/**
 * The measured window of a closed-loop scenario. Its loops run from the start but count only
 * while `counting`, after a warm-up (TCP windows grow, the JIT warms up), and end once `stopped`.
 */
export class MeasuredWindow {
  counting = false;
  stopped = false;

  /**
   * Waits out `warmupMs`, counts for `durationMs`, then tells the loops to stop. `read` takes
   * the count at the window's end, before the loops stop; it comes back with the window's exact
   * length in seconds.
   */
  async run<T>(
    opts: { warmupMs: number; durationMs: number },
    read: () => T,
  ): Promise<{ counted: T; seconds: number }> {
    await new Promise((r) => setTimeout(r, opts.warmupMs));
    this.counting = true;
    const t0 = performance.now();
    await new Promise((r) => setTimeout(r, opts.durationMs));
    const seconds = (performance.now() - t0) / 1000;
    const counted = read();
    this.counting = false;
    this.stopped = true;
    return { counted, seconds };
  }
}
