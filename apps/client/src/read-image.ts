import { open } from 'node:fs/promises';
import { DEFAULT_MAX_PAYLOAD_BYTES } from '@tcpbalancer/protocol';
import { ClientError } from './errors.js';

/** The file grew past the payload limit after the scan (or was swapped for a bigger one). */
export class ImageTooLargeError extends ClientError {
  constructor(message: string) {
    super('ERR_IMAGE_TOO_LARGE', message);
  }
}

/**
 * Reads an input image whole, but never more than `maxBytes`: the scan checked the size, and
 * the file may have changed since (grown, replaced by something huge). One open, one fstat, one
 * read of exactly that size; a file still growing is cut at what fstat said and not sent past it.
 */
export async function readImageFile(
  absPath: string,
  maxBytes = DEFAULT_MAX_PAYLOAD_BYTES,
): Promise<Buffer> {
  const fh = await open(absPath, 'r');
  try {
    const { size } = await fh.stat();
    if (size > maxBytes)
      throw new ImageTooLargeError(`${size} bytes is over the ${maxBytes}-byte payload limit`);
    const buf = Buffer.allocUnsafe(size);
    let got = 0;
    while (got < size) {
      const { bytesRead } = await fh.read(buf, got, size - got, got);
      if (bytesRead === 0) break;
      got += bytesRead;
    }
    return got === size ? buf : buf.subarray(0, got);
  } finally {
    await fh.close();
  }
}
