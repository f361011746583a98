import { type ImageDimensions, MalformedImageError } from './image-error.js';

const SOI = 0xd8;
const EOI = 0xd9;
const SOS = 0xda;
/** Markers without a length field: RST0..7 (and TEM). */
const isStandalone = (m: number) => (m >= 0xd0 && m <= 0xd7) || m === 0x01;
/** Start-of-frame markers (baseline, progressive, lossless, arithmetic): not DHT, JPG, DAC. */
const isSof = (m: number) => m >= 0xc0 && m <= 0xcf && m !== 0xc4 && m !== 0xc8 && m !== 0xcc;

function fail(message: string): never {
  throw new MalformedImageError('jpeg', message);
}

/**
 * The end of the entropy-coded data that starts at `at`: the next 0xFF that is neither byte
 * stuffing (FF 00) nor a restart marker (FF D0..D7), nor fill (FF FF). indexOf keeps the scan
 * at C speed over the compressed bytes.
 */
function skipScan(data: Buffer, at: number): number {
  let p = at;
  for (;;) {
    p = data.indexOf(0xff, p);
    if (p < 0 || p + 1 >= data.length) fail('cut short inside scan data (no EOI)');
    const next = data[p + 1]!;
    if (next === 0x00 || (next >= 0xd0 && next <= 0xd7) || next === 0xff)
      p += next === 0xff ? 1 : 2;
    else return p;
  }
}

/**
 * Walks a JPEG from SOI through every marker segment and scan to EOI, which must be the last
 * two bytes; a frame header (SOF) must come before the first scan. Returns the SOF dimensions.
 */
export function checkJpeg(data: Buffer): ImageDimensions {
  if (data.length < 4 || data[0] !== 0xff || data[1] !== SOI) fail('no SOI marker');
  let p = 2;
  let dims: ImageDimensions | undefined;
  let scans = 0;
  for (;;) {
    if (p + 1 >= data.length) fail('cut short (no EOI)');
    if (data[p] !== 0xff) fail(`expected a marker at byte ${p}`);
    const marker = data[p + 1]!;
    if (marker === 0xff) {
      p++; // fill byte before a marker
      continue;
    }
    if (marker === EOI) {
      if (p + 2 !== data.length) fail(`${data.length - p - 2} bytes after EOI`);
      if (!dims || scans === 0) fail('no frame or no scan before EOI');
      return dims;
    }
    if (marker === SOI) fail(`second SOI at byte ${p}`);
    if (isStandalone(marker)) {
      p += 2;
      continue;
    }
    if (p + 4 > data.length) fail('cut short inside a marker segment');
    const length = data.readUInt16BE(p + 2);
    const end = p + 2 + length;
    if (length < 2 || end > data.length) fail(`segment 0x${marker.toString(16)} runs past the end`);
    if (isSof(marker)) {
      if (dims) fail('more than one frame header');
      if (length < 8) fail('frame header too short');
      dims = { width: data.readUInt16BE(p + 7), height: data.readUInt16BE(p + 5) };
    }
    if (marker === SOS) {
      if (!dims) fail('scan before the frame header');
      scans++;
      p = skipScan(data, end);
    } else {
      p = end;
    }
  }
}
