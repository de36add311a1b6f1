import type { ImageContentType } from "../../schema/contract/index.js";

export type ImageInfo = { contentType: ImageContentType; width: number; height: number };

/** How many leading bytes `imageTypeOf` needs to tell a PNG, JPEG or WebP apart from anything else. */
export const IMAGE_HEAD_BYTES = 16;

/** The image type its first bytes announce (signature, and the first chunk for PNG and WebP); null for anything else. */
export function imageTypeOf(bytes: Uint8Array): ImageContentType | null {
  if (bytes.length >= 16 && startsWith(bytes, PNG_SIGNATURE) && ascii(bytes, 12, 4) === "IHDR") return "image/png";
  if (bytes.length >= 3 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) return "image/jpeg";
  if (bytes.length >= 16 && ascii(bytes, 0, 4) === "RIFF" && ascii(bytes, 8, 4) === "WEBP" && ascii(bytes, 12, 3) === "VP8") return "image/webp";
  return null;
}

/** Reads the type and size from an image's header; null when the bytes are no PNG, JPEG or WebP. */
export function sniffImage(bytes: Uint8Array): ImageInfo | null {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const type = imageTypeOf(bytes);
  if (type === "image/png" && bytes.length >= 24) return { contentType: type, width: view.getUint32(16), height: view.getUint32(20) };
  if (type === "image/jpeg") return jpegInfo(bytes, view);
  if (type === "image/webp" && bytes.length >= 30) return webpInfo(bytes, view);
  return null;
}

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

function startsWith(bytes: Uint8Array, prefix: number[]) {
  return prefix.every((byte, index) => bytes[index] === byte);
}

function ascii(bytes: Uint8Array, start: number, length: number) {
  return String.fromCharCode(...bytes.subarray(start, start + length));
}

function jpegInfo(bytes: Uint8Array, view: DataView): ImageInfo | null {
  let offset = 2;
  while (offset + 9 < bytes.length) {
    if (bytes[offset] !== 0xff) return null;
    const marker = bytes[offset + 1]!;
    const length = view.getUint16(offset + 2);
    const isFrameHeader = marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc;
    if (isFrameHeader) {
      return { contentType: "image/jpeg", height: view.getUint16(offset + 5), width: view.getUint16(offset + 7) };
    }
    offset += 2 + length;
  }
  return null;
}

function webpInfo(bytes: Uint8Array, view: DataView): ImageInfo | null {
  const format = ascii(bytes, 12, 4);
  if (format === "VP8X") {
    const width = 1 + (view.getUint32(24, true) & 0xffffff);
    const height = 1 + (view.getUint32(27, true) & 0xffffff);
    return { contentType: "image/webp", width, height };
  }
  if (format === "VP8 ") {
    return { contentType: "image/webp", width: view.getUint16(26, true) & 0x3fff, height: view.getUint16(28, true) & 0x3fff };
  }
  if (format === "VP8L") {
    const bits = view.getUint32(21, true);
    return { contentType: "image/webp", width: (bits & 0x3fff) + 1, height: ((bits >> 14) & 0x3fff) + 1 };
  }
  return null;
}
