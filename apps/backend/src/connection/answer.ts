import {
  ErrorCode,
  errorFrame,
  type Frame,
  ProtocolError,
  parseResizeRequest,
  type ResizeRequestHeader,
  type ResizeResponseHeader,
  responseFrame,
} from '@tcpbalancer/protocol';
import { ImageError } from '../errors.js';
import { classify, dryRun, type ResizeOutput, resize } from '../resize.js';
import type { Connection } from './connection.js';
import type { OutItem } from './writer.js';

/**
 * One request to one answer (a response or an error frame); the request's payload is released
 * once the answer is made. Rejects only if the job ended (`signal` aborted).
 */
export async function answer(
  conn: Connection,
  frame: Frame,
  signal: AbortSignal,
): Promise<OutItem> {
  try {
    return await make(conn, frame, signal);
  } finally {
    conn.input.release(frame.payload.length);
  }
}

async function make(conn: Connection, frame: Frame, signal: AbortSignal): Promise<OutItem> {
  const { ctx, log } = conn;
  const id = frame.requestId;
  let req: ResizeRequestHeader;
  try {
    req = parseResizeRequest(frame.header);
  } catch (err) {
    const code = err instanceof ProtocolError ? err.code : ErrorCode.BadRequest;
    return { frame: errorFrame(id, code, (err as Error).message), slot: true, outcome: code };
  }
  let out: ResizeOutput;
  const started = performance.now();
  try {
    out = await pixelWork(conn, req, frame.payload, signal);
  } catch (err) {
    if (signal.aborted) throw err;
    const e = err instanceof ImageError ? err : classify(err);
    if (log.isLevelEnabled('debug'))
      log.debug({ id, code: e.code, name: req.name, err: e }, 'request failed');
    return { frame: errorFrame(id, e.code, e.message), slot: true, outcome: e.code };
  }
  const ms = Math.round((performance.now() - started) * 100) / 100;
  const header: ResizeResponseHeader = {
    backend: ctx.name,
    width: out.width,
    height: out.height,
    format: out.format,
    bytes: out.data.length,
    ms,
  };
  if (req.dryRun) header.dryRun = true;
  // Per request: at the default level not even the log object is built.
  if (log.isLevelEnabled('debug'))
    log.debug({ id, name: req.name, ms, width: out.width, height: out.height }, 'resized');
  return {
    frame: responseFrame(id, header, out.data),
    slot: true,
    outcome: req.dryRun ? 'dry_run' : 'ok',
  };
}

/**
 * The resize (holding a process-wide resize slot) or the dry run (header only, no slot), counted
 * as our work while it runs: it keeps the idle clock going, and its end is progress.
 */
async function pixelWork(
  conn: Connection,
  req: ResizeRequestHeader,
  payload: Buffer,
  signal: AbortSignal,
): Promise<ResizeOutput> {
  const { ctx } = conn;
  if (req.dryRun) conn.work.begin();
  else await takeResizeSlot(conn, signal); // counted as work from the queue on
  try {
    if (req.dryRun) return await dryRun(payload, req, ctx.resizeLimits);
    const t0 = performance.now();
    try {
      return await resize(payload, req, ctx.resizeLimits);
    } finally {
      ctx.resizeSlots.release();
      ctx.metrics.resizeSeconds.observe((performance.now() - t0) / 1000);
    }
  } finally {
    conn.work.end();
    conn.progress();
  }
}

/**
 * Waits for a process-wide resize slot, counted as our work (the idle clock is kept running
 * only by work, not by waiting for a peer to read). If, once the slot is ours, the socket
 * pushes back (an answer of this connection finished meanwhile and is not written), the slot
 * goes to the next waiter and we wait for the peer first: so a peer that pipelines many
 * requests and never reads has at most one answer per resize slot made for it.
 */
async function takeResizeSlot(conn: Connection, signal: AbortSignal): Promise<void> {
  const slots = conn.ctx.resizeSlots;
  for (;;) {
    const parked = conn.writer.whenWritable(signal);
    if (parked !== undefined) await parked;
    conn.work.begin();
    try {
      await slots.acquire(signal);
    } catch (err) {
      conn.work.end();
      throw err;
    }
    if (!conn.writer.pushingBack) return;
    slots.release();
    conn.work.end();
  }
}
