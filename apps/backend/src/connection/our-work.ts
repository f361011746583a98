/**
 * Requests of this connection that are queued for a resize slot or resizing: our work, not the
 * peer's idleness. While there is any, the idle watchdogs are ticked every idleTimeout/3, so a
 * request that waits behind slow images for longer than --idle-timeout does not time the
 * connection out. (Answers the peer does not read are not work: those do time out.)
 */
export class OurWork {
  #count = 0;
  #timer: ReturnType<typeof setInterval> | undefined = undefined;

  get count(): number {
    return this.#count;
  }

  begin(): void {
    this.#count++;
  }

  end(): void {
    this.#count--;
  }

  /** One interval per connection (not one per request); at least 20 ms apart. */
  keepAlive(idleTimeoutMs: number, tick: () => void): void {
    if (idleTimeoutMs <= 0 || this.#timer !== undefined) return;
    this.#timer = setInterval(
      () => {
        if (this.#count > 0) tick();
      },
      Math.max(20, Math.floor(idleTimeoutMs / 3)),
    );
    this.#timer.unref();
  }

  stop(): void {
    if (this.#timer !== undefined) clearInterval(this.#timer);
    this.#timer = undefined;
  }
}
