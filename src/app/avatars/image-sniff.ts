/**
 * What an upload is, from its bytes rather than its name: the format by magic number, and
 * the dimensions its header claims (read without decoding a pixel). The API refuses what
 * is not an image (415) and what claims more pixels than the workers decode (422), so a
 * decompression bomb is stopped at the door; the media pool's own pixel limit backs this up.
 */
export type ImageType = 'png' | 'jpeg' | 'webp' | 'gif';

export interface Sniffed {
  type: ImageType;
  mime: string;
  /** Undefined when the header is too short or malformed to say. */
  width?: number;
  height?: number;
}

const MIME: Record<ImageType, string> = { png: 'image/png', jpeg: 'image/jpeg', webp: 'image/webp', gif: 'image/gif' };

const startsWith = (bytes: Buffer, prefix: number[], at = 0) => prefix.every((b, i) => bytes[at + i] === b);
const ascii = (bytes: Buffer, at: number, text: string) => bytes.length >= at + text.length && bytes.toString('latin1', at, at + text.length) === text;

export function sniffImage(bytes: Buffer): Sniffed | undefined {
  if (startsWith(bytes, [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) return withSize('png', pngSize(bytes));
  if (startsWith(bytes, [0xff, 0xd8, 0xff])) return withSize('jpeg', jpegSize(bytes));
  if (ascii(bytes, 0, 'GIF87a') || ascii(bytes, 0, 'GIF89a'))
    return withSize('gif', bytes.length >= 10 ? { width: bytes.readUInt16LE(6), height: bytes.readUInt16LE(8) } : undefined);
  if (ascii(bytes, 0, 'RIFF') && ascii(bytes, 8, 'WEBP')) return withSize('webp', webpSize(bytes));
  return undefined;
}

function withSize(type: ImageType, size: { width: number; height: number } | undefined): Sniffed {
  return { type, mime: MIME[type], ...(size ?? {}) };
}

type Size = { width: number; height: number } | undefined;

/** The IHDR chunk must come first: width and height at bytes 16 and 20. */
function pngSize(bytes: Buffer): Size {
  if (bytes.length < 24 || !ascii(bytes, 12, 'IHDR')) return undefined;
  return { width: bytes.readUInt32BE(16), height: bytes.readUInt32BE(20) };
}

/** Walks the marker segments to the first start-of-frame (SOF0..SOF15 but DHT, JPG, DAC). */
function jpegSize(bytes: Buffer): Size {
  let at = 2;
  while (at + 9 < bytes.length) {
    if (bytes[at] !== 0xff) return undefined;
    const marker = bytes[at + 1];
    if (marker === 0xff) {
      at++; // fill byte
      continue;
    }
    const length = bytes.readUInt16BE(at + 2);
    if (marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc) {
      return { height: bytes.readUInt16BE(at + 5), width: bytes.readUInt16BE(at + 7) };
    }
    if (length < 2) return undefined;
    at += 2 + length;
  }
  return undefined;
}

/** Lossy (VP8), lossless (VP8L) and extended (VP8X) headers each keep the size differently. */
function webpSize(bytes: Buffer): Size {
  if (bytes.length < 30) return undefined;
  if (ascii(bytes, 12, 'VP8 ') && startsWith(bytes, [0x9d, 0x01, 0x2a], 23)) {
    return { width: bytes.readUInt16LE(26) & 0x3fff, height: bytes.readUInt16LE(28) & 0x3fff };
  }
  if (ascii(bytes, 12, 'VP8L') && bytes[20] === 0x2f) {
    const bits = bytes.readUInt32LE(21);
    return { width: (bits & 0x3fff) + 1, height: ((bits >>> 14) & 0x3fff) + 1 };
  }
  if (ascii(bytes, 12, 'VP8X')) {
    return { width: bytes.readUIntLE(24, 3) + 1, height: bytes.readUIntLE(27, 3) + 1 };
  }
  return undefined;
}
