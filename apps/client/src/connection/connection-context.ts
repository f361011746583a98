import type { Logger } from '@tcpbalancer/job';
import { type Frame, RETRYABLE_ERROR_CODES, type ResizeRequestHeader } from '@tcpbalancer/protocol';
import type { RateScheduler } from '../rate-scheduler.js';
import type { Stats } from '../stats.js';
import type { WorkItem, WorkQueue } from '../work-queue.js';

/** Error codes a backend uses for "not now" (the protocol's registry): the request goes to another connection instead of failing. */
export const RETRYABLE_BACKEND_CODES: ReadonlySet<string> = RETRYABLE_ERROR_CODES;

/** What a connection needs from the run it belongs to. */
export interface ConnectionContext {
  readonly host: string;
  readonly port: number;
  readonly queue: WorkQueue;
  readonly scheduler: RateScheduler | undefined;
  readonly window: number;
  readonly timeoutMs: number;
  /** Connection failures a request survives before it fails for good. */
  readonly retries: number;
  readonly request: ResizeRequestHeader;
  readonly stats: Stats;
  readonly logger: Logger;
  /** The run's signal: its abort cancels every connection. */
  readonly signal: AbortSignal;
  /** The request payload; a rejection fails the item (not retried). */
  loadImage(item: WorkItem): Promise<Buffer>;
  /** Handles an answer (checks it, saves the result) and settles the item. Never rejects. */
  handleAnswer(
    item: WorkItem,
    frame: Frame,
    latencyMs: number,
    uncorrectedMs: number | undefined,
  ): Promise<void>;
  /** Settles an item as failed for good. */
  fail(item: WorkItem, error: unknown): void;
}

/** One more failed attempt for `item`: back to the queue, or failed for good past --retries. */
export function chargeAndRequeue(ctx: ConnectionContext, item: WorkItem, error: unknown): void {
  item.attempts++;
  item.lastError = error;
  if (item.attempts > ctx.retries) {
    ctx.fail(item, error);
  } else {
    ctx.stats.retries++;
    ctx.queue.requeue(item);
  }
}
