import type { Logger } from '@tcpbalancer/job';
import { type Frame, FrameType, parseResizeResponse } from '@tcpbalancer/protocol';
import { readErrorAnswer } from '../error-answer.js';
import { BackendError, BadResponseError, errorMessage } from '../errors.js';
import { checkImage, MalformedImageError } from '../image-check/check-image.js';
import { type CheckedResult, checkResult, outputFileName } from '../output-name.js';
import type { OutputWriter } from '../output-writer.js';
import type { WorkItem, WorkQueue } from '../work-queue.js';
import type { RunRecord } from './run-record.js';

export interface AnswerHandlerOptions {
  readonly record: RunRecord;
  readonly logger: Logger;
  readonly dryRun: boolean;
  /** Absent when nothing is saved (dry-run, load mode). */
  readonly writer: OutputWriter | undefined;
}

/**
 * The payload must be a complete image of the announced format and size before it is counted
 * ok or saved: a header that says png/20x15 proves nothing about the bytes behind it.
 */
function verifyAnswerImage(result: CheckedResult, payload: Buffer): void {
  try {
    checkImage(result.format, payload, result.width, result.height);
  } catch (err) {
    if (!(err instanceof MalformedImageError)) throw err;
    throw new BadResponseError(`answer is not a complete image: ${err.message}`);
  }
}

/**
 * Takes an answer at nothing but its proven word: an error answer fails the item with the
 * backend's code; a response's header is parsed, its size and format checked, its payload's
 * length and image structure verified, and only then saved (inside --output) and counted ok.
 * Never rejects: every outcome settles the item in the record.
 */
export class AnswerHandler {
  constructor(private readonly opts: AnswerHandlerOptions) {}

  async handle(
    queue: WorkQueue,
    item: WorkItem,
    frame: Frame,
    latencyMs: number,
    uncorrectedMs?: number,
  ): Promise<void> {
    const { record } = this.opts;
    record.stats.recordLatency(latencyMs, uncorrectedMs);
    try {
      await this.#accept(item, frame, latencyMs);
      record.settleOk(queue, item);
    } catch (err) {
      record.settleFailed(queue, item, err);
    }
  }

  async #accept(item: WorkItem, frame: Frame, latencyMs: number): Promise<void> {
    const { record, dryRun, writer, logger } = this.opts;
    if (frame.type === FrameType.Error) {
      const e = readErrorAnswer(frame);
      throw new BackendError(e.code, e.message);
    }
    let header: ReturnType<typeof parseResizeResponse>;
    try {
      header = parseResizeResponse(frame.header);
    } catch (err) {
      throw new BadResponseError(errorMessage(err));
    }
    record.stats.recordBackend(header.backend);
    const result = checkResult(frame.header, dryRun);
    if (dryRun) return;
    if (frame.payload.length !== header.bytes || frame.payload.length === 0) {
      throw new BadResponseError(
        `answer payload is ${frame.payload.length} bytes, header says ${header.bytes}`,
      );
    }
    verifyAnswerImage(result, frame.payload);
    if (!writer || !item.image.plan) return;
    const rel = await writer.write(
      item.image.plan.dirs,
      outputFileName(item.image.plan, result),
      frame.payload,
    );
    record.written.add(rel);
    logger.debug(
      { path: item.image.relPath, out: rel, backend: header.backend, ms: latencyMs },
      'saved',
    );
  }
}
