/**
 * One image: probe its header, refuse what we will not decode, then resize with sharp.
 * Knows nothing of sockets or frames.
 */
import { ErrorCode, type OutputFormat, type ResizeRequestHeader } from '@tcpbalancer/protocol';
import sharp, { type Metadata, type Sharp, type SharpOptions } from 'sharp';
import { ImageError } from './errors.js';
import { inputSignature } from './input-signature.js';
import { checkFormatLimit } from './output-limits.js';

export interface ResizeLimits {
  /** Largest input, and largest output, in pixels (width × height). */
  maxPixels: number;
  /** sharp's per-image deadline, ms. */
  timeoutMs: number;
}

export interface ResizeOutput {
  data: Buffer;
  width: number;
  height: number;
  format: string;
}

/**
 * Process-wide sharp settings for a server of untrusted, distinct images: libvips' operation
 * cache only holds memory here (no image is seen twice), so it is off. Parallelism comes from
 * several images in flight on libuv's pool (field notes), not from libvips threads.
 */
export function configureSharp(): void {
  sharp.cache(false);
}

/** Input formats we decode (an allow-list: no SVG, PDF, RAW, … from untrusted peers). */
const INPUT_FORMATS = new Set(['jpeg', 'png', 'webp', 'gif', 'tiff', 'heif']);

/** The output format when the request names none: the input's own, when we can write it. */
function sameAsInput(meta: Metadata): 'jpeg' | 'png' | 'webp' | 'avif' {
  switch (meta.format) {
    case 'jpeg':
    case 'png':
    case 'webp':
      return meta.format;
    case 'heif':
      return 'avif';
    default:
      // gif and tiff inputs: PNG keeps their transparency and is lossless.
      return 'png';
  }
}

function sharpOptions(limits: ResizeLimits): SharpOptions {
  return {
    // Untrusted input: any decoder warning (truncation, bad CRC…) fails the image.
    failOn: 'warning',
    limitInputPixels: limits.maxPixels,
    sequentialRead: true,
  };
}

/**
 * Maps a sharp/libvips error to a stable code for the error frame. The last resort: whatever
 * can be checked is checked before libvips runs (signature, allow-list, pixel limit, the output
 * format's limits, the deadline); the patterns below only catch what slips past those checks
 * (sharp rounding a planned side one pixel over a limit, a pixel count found only on decoding).
 */
export function classify(err: unknown): ImageError {
  if (err instanceof ImageError) return err;
  const message = err instanceof Error ? err.message : String(err);
  const first = message.split('\n')[0] ?? message;
  if (/exceeds pixel limit/i.test(message))
    return new ImageError(ErrorCode.PixelLimit, first, { cause: err });
  if (/unsupported image format|not a known file format|no loader/i.test(message)) {
    return new ImageError(ErrorCode.ImageUnsupported, first, { cause: err });
  }
  if (/timeout/i.test(message))
    return new ImageError(ErrorCode.ImageTimeout, first, { cause: err });
  if (
    /too large for the|Maximum supported image dimension|Expected .* for (width|height)/i.test(
      message,
    )
  ) {
    return new ImageError(ErrorCode.BadRequest, first, { cause: err });
  }
  return new ImageError(ErrorCode.ImageCorrupt, first, { cause: err });
}

/**
 * Reads only the header (no pixel decoding) and refuses what must not be decoded: unknown or
 * disallowed formats, and images over the pixel limit (decompression bombs: a 3 KB PNG can
 * declare 30000×30000). Returns the metadata.
 */
export async function probe(input: Buffer, limits: ResizeLimits): Promise<Metadata> {
  if (input.length === 0) throw new ImageError(ErrorCode.BadRequest, 'empty payload: no image');
  if (inputSignature(input) === undefined) {
    throw new ImageError(
      ErrorCode.ImageUnsupported,
      'not a JPEG, PNG, WebP, GIF, TIFF or AVIF image (by its first bytes)',
    );
  }
  let meta: Metadata;
  try {
    meta = await sharp(input, sharpOptions(limits)).metadata();
  } catch (err) {
    throw classify(err);
  }
  if (!meta.format || !INPUT_FORMATS.has(meta.format)) {
    throw new ImageError(
      ErrorCode.ImageUnsupported,
      `input format ${meta.format ?? 'unknown'} is not accepted`,
    );
  }
  if (meta.format === 'heif' && meta.compression !== 'av1') {
    throw new ImageError(
      ErrorCode.ImageUnsupported,
      `HEIF with ${meta.compression ?? 'unknown'} compression is not accepted`,
    );
  }
  const w = meta.width ?? 0;
  const h = (meta.pageHeight ?? meta.height) || 0;
  if (w <= 0 || h <= 0)
    throw new ImageError(ErrorCode.ImageCorrupt, 'image header has no dimensions');
  if (w * h > limits.maxPixels) {
    throw new ImageError(
      ErrorCode.PixelLimit,
      `input ${w}x${h} (${w * h} px) exceeds the limit of ${limits.maxPixels} px`,
    );
  }
  return meta;
}

/**
 * The output size sharp will produce, from the header alone (used for dry runs and to refuse
 * outputs over the pixel limit before any work). Within a pixel of sharp's own rounding.
 */
export function plannedSize(
  meta: Metadata,
  req: ResizeRequestHeader,
): { width: number; height: number } {
  let w0 = meta.width ?? 1;
  let h0 = (meta.pageHeight ?? meta.height) || 1;
  // EXIF orientations 5–8 are rotated by 90°: auto-orientation swaps the axes.
  if ((meta.orientation ?? 1) >= 5) [w0, h0] = [h0, w0];
  const { width: W, height: H } = req;
  if (W === undefined && H === undefined) return { width: w0, height: h0 };
  if (W !== undefined && H === undefined)
    return { width: W, height: Math.max(1, Math.round((h0 * W) / w0)) };
  if (W === undefined && H !== undefined)
    return { width: Math.max(1, Math.round((w0 * H) / h0)), height: H };
  const fit = req.fit ?? 'cover';
  if (fit === 'cover' || fit === 'contain' || fit === 'fill') return { width: W!, height: H! };
  const s = fit === 'inside' ? Math.min(W! / w0, H! / h0) : Math.max(W! / w0, H! / h0);
  return { width: Math.max(1, Math.round(w0 * s)), height: Math.max(1, Math.round(h0 * s)) };
}

/** The format a request will produce, given the probed input. */
export function plannedFormat(meta: Metadata, req: ResizeRequestHeader): OutputFormat {
  return req.format ?? sameAsInput(meta);
}

/** Refuses, before any pixel work, an output over the pixel limit or the format's own limits. */
function checkOutput(
  size: { width: number; height: number },
  format: OutputFormat,
  limits: ResizeLimits,
): void {
  checkFormatLimit(format, size);
  if (size.width * size.height > limits.maxPixels) {
    throw new ImageError(
      ErrorCode.PixelLimit,
      `output ${size.width}x${size.height} (${size.width * size.height} px) exceeds the limit of ${limits.maxPixels} px`,
    );
  }
}

/**
 * What `req` will make of `input`, known before any pixel work: probed (header only), sized,
 * formatted and checked against the limits. Both the dry run and the resize start here, so a
 * dry run refuses exactly what the resize would.
 */
async function plan(input: Buffer, req: ResizeRequestHeader, limits: ResizeLimits) {
  const meta = await probe(input, limits);
  const size = plannedSize(meta, req);
  const format = plannedFormat(meta, req);
  checkOutput(size, format, limits);
  return { meta, size, format };
}

/** Dry run: the answer's shape from the header alone, no pixel work. */
export async function dryRun(
  input: Buffer,
  req: ResizeRequestHeader,
  limits: ResizeLimits,
): Promise<ResizeOutput> {
  const { size, format } = await plan(input, req, limits);
  return { data: Buffer.alloc(0), ...size, format };
}

/** The encoder for `format`, with the request's quality when it gives one. */
function encodeAs(img: Sharp, format: OutputFormat, q: number | undefined): Sharp {
  switch (format) {
    case 'jpeg':
      return img.jpeg(q === undefined ? {} : { quality: q });
    case 'webp':
      return img.webp(q === undefined ? {} : { quality: q });
    case 'avif':
      return img.avif(q === undefined ? {} : { quality: q });
    case 'png':
      // PNG is lossless; a quality asks for palette quantisation, as in sharp.
      return img.png(q === undefined ? {} : { quality: q, palette: true });
  }
}

/** Probes, then resizes: auto-orients (EXIF), fits, encodes. Throws ImageError only. */
export async function resize(
  input: Buffer,
  req: ResizeRequestHeader,
  limits: ResizeLimits,
): Promise<ResizeOutput> {
  const { meta, format } = await plan(input, req, limits);
  // sharp's deadline is in whole seconds: --resize-timeout is rounded up to one.
  const seconds = Math.max(1, Math.ceil(limits.timeoutMs / 1000));
  const started = performance.now();
  try {
    let img = sharp(input, sharpOptions(limits)).timeout({ seconds }).rotate();
    if (req.width !== undefined || req.height !== undefined) {
      img = img.resize({ width: req.width, height: req.height, fit: req.fit ?? 'cover' });
    }
    // JPEG has no alpha: composite over white rather than let transparent pixels turn black.
    if (format === 'jpeg' && meta.hasAlpha) img = img.flatten({ background: '#ffffff' });
    img = encodeAs(img, format, req.quality);
    const { data, info } = await img.toBuffer({ resolveWithObject: true });
    return {
      data,
      width: info.width,
      height: info.height,
      format: info.format === 'heif' ? 'avif' : info.format,
    };
  } catch (err) {
    // Out of time is known from the clock, not from the words of the error.
    if (performance.now() - started >= seconds * 1000) {
      throw new ImageError(ErrorCode.ImageTimeout, `the resize took longer than ${seconds} s`, {
        cause: err,
      });
    }
    throw classify(err);
  }
}
