import type { OutputPlan } from './output-name.js';

/** One image as the connections see it. */
export interface ImageSource {
  readonly relPath: string;
  readonly absPath: string;
  /** Load mode: the bytes, read once. Resize mode: read from disk when it is its turn. */
  readonly data: Buffer | undefined;
  /** Where its result goes; absent when nothing is saved. */
  readonly plan: OutputPlan | undefined;
}

/** One request to make: an image in a round. It moves between connections until settled. */
export interface WorkItem {
  readonly seq: number;
  readonly image: ImageSource;
  readonly round: number;
  /** Connection failures charged to it so far (a failure past --retries settles it as failed). */
  attempts: number;
  /** Open loop: when it was scheduled to go out (performance.now() ms); latency counts from here. */
  scheduledAt: number | undefined;
  lastError: unknown;
  /** Answered or failed for good: counted once, never sent again. */
  settled: boolean;
}

/**
 * The work of one round (or of a load run), shared by its connections. New items come from
 * `source` in order; items whose connection broke come back through `requeue` and go out
 * first. Bounded: it holds at most the items it has handed out.
 */
export class WorkQueue {
  readonly #retry: WorkItem[] = [];
  readonly #source: () => WorkItem | undefined;
  #peeked: WorkItem | undefined;
  #closed = false;
  /** Items handed out and not settled yet. */
  outstanding = 0;

  constructor(source: () => WorkItem | undefined) {
    this.#source = source;
  }

  /** Items over an array, once each. */
  static of(items: readonly WorkItem[]): WorkQueue {
    let i = 0;
    return new WorkQueue(() => items[i++]);
  }

  /** A requeued item, if any. */
  takeRetry(): WorkItem | undefined {
    const item = this.#retry.shift();
    if (item) this.outstanding++;
    return item;
  }

  /** A new item, unless the source is exhausted or the queue was closed. */
  takeNew(): WorkItem | undefined {
    if (this.#closed) return undefined;
    const item = this.#peeked ?? this.#source();
    this.#peeked = undefined;
    if (item) this.outstanding++;
    return item;
  }

  take(): WorkItem | undefined {
    return this.takeRetry() ?? this.takeNew();
  }

  /** Gives a handed-out item back, to go out again before any new one. */
  requeue(item: WorkItem): void {
    this.outstanding--;
    this.#retry.push(item);
  }

  /** The item is finished (answered, or failed for good). */
  settle(_item: WorkItem): void {
    this.outstanding--;
  }

  /** No new items from now on (duration over, run aborted); requeued ones still go out. */
  close(): void {
    this.#closed = true;
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** Whether requeued items are waiting. */
  get hasRetry(): boolean {
    return this.#retry.length > 0;
  }

  /** Whether a connection started now would find something to send. */
  get hasWork(): boolean {
    if (this.#retry.length > 0) return true;
    if (this.#closed) return false;
    this.#peeked ??= this.#source();
    return this.#peeked !== undefined;
  }

  /** Nothing left to send and nothing out: the round is over. */
  get finished(): boolean {
    return !this.hasWork && this.outstanding === 0;
  }

  /** Requeued items waiting (for aborts: they are failed, not lost). */
  drainRetries(): WorkItem[] {
    return this.#retry.splice(0);
  }
}
