/**
 * --frame-timeout: a frame must arrive completely within this long of its first byte (the
 * slowloris defence: a peer trickling a byte a second never completes a frame, so the idle
 * watchdog, which counts only complete frames as progress, and this deadline both end it).
 *
 * One timer per frame that spans several reads, none for a frame that arrives in one read:
 * a large body arrives in hundreds of pieces, and a timer per piece would be hundreds of timers.
 */
export class FrameDeadline {
  #timer: ReturnType<typeof setTimeout> | undefined = undefined;
  #expired = false;

  /**
   * @param timeoutMs 0: no deadline.
   * @param onExpire called once when the frame in progress has run out of time.
   */
  constructor(
    readonly timeoutMs: number,
    private readonly onExpire: () => void,
  ) {}

  /** The frame in progress took too long (stays true: the connection is about to end). */
  get expired(): boolean {
    return this.#expired;
  }

  /**
   * After each read: `inFrame` says a frame is incomplete now, `completed` that frames were
   * completed by this read (so the incomplete one, if any, is a new frame that started in it).
   */
  update(inFrame: boolean, completed: boolean): void {
    if (this.timeoutMs <= 0 || this.#expired) return;
    if (!inFrame) {
      this.stop();
      return;
    }
    if (this.#timer !== undefined && !completed) return; // the same frame, still in progress
    this.stop();
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.#expired = true;
      this.onExpire();
    }, this.timeoutMs);
    this.#timer.unref();
  }

  stop(): void {
    if (this.#timer === undefined) return;
    clearTimeout(this.#timer);
    this.#timer = undefined;
  }
}
