/** The JSON header bodies of each frame type, and validators for the ones a peer sends us. */
import type { ErrorCode } from './error-codes.js';
import { BadHeaderError, BadRequestError } from './errors.js';
import { type Frame, FrameType } from './frame.js';

export const FITS = ['cover', 'contain', 'inside', 'outside', 'fill'] as const;
export type Fit = (typeof FITS)[number];
export const FORMATS = ['jpeg', 'png', 'webp', 'avif'] as const;
export type OutputFormat = (typeof FORMATS)[number];

/** Largest width or height a request may ask for (the JPEG limit). */
export const MAX_DIMENSION = 65_535;
/** Longest `name` a request may carry, in UTF-16 code units. */
export const MAX_NAME_LENGTH = 1024;
/** The range of `quality` in a request. */
export const MIN_QUALITY = 1;
export const MAX_QUALITY = 100;

export interface ResizeRequestHeader {
  width?: number;
  height?: number;
  fit?: Fit;
  /** Absent: the same format as the input. */
  format?: OutputFormat;
  /** MIN_QUALITY..MAX_QUALITY (1..100) */
  quality?: number;
  /** No pixel work: the answer has the same shape and an empty payload. */
  dryRun?: boolean;
  /** The client's name for the image, for logs. */
  name?: string;
}

export interface ResizeResponseHeader {
  backend: string;
  width: number;
  height: number;
  format: string;
  bytes: number;
  ms: number;
  dryRun?: boolean;
}

export interface ErrorHeader {
  /** A code of the `ErrorCode` registry, or one from a newer peer (`isErrorCode` tells). */
  code: ErrorCode | (string & {});
  message: string;
}

function optionalInt(
  h: Record<string, unknown>,
  key: string,
  min: number,
  max: number,
): number | undefined {
  const v = h[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'number' || !Number.isInteger(v))
    throw new BadRequestError(key, 'must be an integer');
  if (v < min || v > max) throw new BadRequestError(key, `must be in ${min}..${max}, got ${v}`);
  return v;
}

function optionalEnum<T extends string>(
  h: Record<string, unknown>,
  key: string,
  values: readonly T[],
): T | undefined {
  const v = h[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string' || !(values as readonly string[]).includes(v)) {
    throw new BadRequestError(key, `must be one of ${values.join(', ')}`);
  }
  return v as T;
}

/**
 * Checks a request header's types and ranges; returns a clean copy (unknown keys dropped, so
 * newer clients can add fields). Throws `BadRequestError` (ERR_BAD_REQUEST) naming the field.
 */
export function parseResizeRequest(header: Record<string, unknown>): ResizeRequestHeader {
  if (header === null || typeof header !== 'object' || Array.isArray(header)) {
    throw new BadRequestError('header', 'must be an object');
  }
  const out: ResizeRequestHeader = {};
  const width = optionalInt(header, 'width', 1, MAX_DIMENSION);
  if (width !== undefined) out.width = width;
  const height = optionalInt(header, 'height', 1, MAX_DIMENSION);
  if (height !== undefined) out.height = height;
  const fit = optionalEnum(header, 'fit', FITS);
  if (fit !== undefined) out.fit = fit;
  const format = optionalEnum(header, 'format', FORMATS);
  if (format !== undefined) out.format = format;
  const quality = optionalInt(header, 'quality', MIN_QUALITY, MAX_QUALITY);
  if (quality !== undefined) out.quality = quality;
  const dryRun = header.dryRun;
  if (dryRun !== undefined && dryRun !== null) {
    if (typeof dryRun !== 'boolean') throw new BadRequestError('dryRun', 'must be a boolean');
    out.dryRun = dryRun;
  }
  const name = header.name;
  if (name !== undefined && name !== null) {
    if (typeof name !== 'string') throw new BadRequestError('name', 'must be a string');
    if (name.length > MAX_NAME_LENGTH)
      throw new BadRequestError('name', `longer than ${MAX_NAME_LENGTH}`);
    out.name = name;
  }
  return out;
}

function need<T>(ok: boolean, key: string, what: string, v: T): T {
  if (!ok) throw new BadHeaderError(`response ${key} must be ${what}`);
  return v;
}

/** Checks a response header; throws `BadHeaderError` (ERR_BAD_HEADER) naming the field. */
export function parseResizeResponse(header: Record<string, unknown>): ResizeResponseHeader {
  if (header === null || typeof header !== 'object' || Array.isArray(header)) {
    throw new BadHeaderError('response header must be an object');
  }
  const h = header;
  const isCount = (v: unknown): v is number =>
    typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
  const out: ResizeResponseHeader = {
    backend: need(typeof h.backend === 'string', 'backend', 'a string', h.backend as string),
    width: need(isCount(h.width), 'width', 'a non-negative integer', h.width as number),
    height: need(isCount(h.height), 'height', 'a non-negative integer', h.height as number),
    format: need(typeof h.format === 'string', 'format', 'a string', h.format as string),
    bytes: need(isCount(h.bytes), 'bytes', 'a non-negative integer', h.bytes as number),
    ms: need(
      typeof h.ms === 'number' && Number.isFinite(h.ms) && h.ms >= 0,
      'ms',
      'a non-negative number',
      h.ms as number,
    ),
  };
  if (h.dryRun !== undefined) {
    out.dryRun = need(typeof h.dryRun === 'boolean', 'dryRun', 'a boolean', h.dryRun as boolean);
  }
  return out;
}

/** Checks an error header; throws `BadHeaderError`. */
export function parseErrorHeader(header: Record<string, unknown>): ErrorHeader {
  if (header === null || typeof header !== 'object' || Array.isArray(header)) {
    throw new BadHeaderError('error header must be an object');
  }
  const code = need(typeof header.code === 'string', 'code', 'a string', header.code as string);
  const message = typeof header.message === 'string' ? header.message : '';
  return { code, message };
}

const EMPTY = Buffer.alloc(0);

export function requestFrame(
  requestId: number,
  header: ResizeRequestHeader,
  payload: Buffer,
): Frame {
  return { type: FrameType.Request, requestId, header: { ...header }, payload };
}

export function responseFrame(
  requestId: number,
  header: ResizeResponseHeader,
  payload: Buffer,
): Frame {
  return { type: FrameType.Response, requestId, header: { ...header }, payload };
}

/** An error frame; `code` from the `ErrorCode` registry (any string is carried, for relays). */
export function errorFrame(
  requestId: number,
  code: ErrorCode | (string & {}),
  message: string,
): Frame {
  return { type: FrameType.Error, requestId, header: { code, message }, payload: EMPTY };
}

export function pingFrame(requestId: number): Frame {
  return { type: FrameType.Ping, requestId, header: {}, payload: EMPTY };
}

export function pongFrame(requestId: number): Frame {
  return { type: FrameType.Pong, requestId, header: {}, payload: EMPTY };
}
