/** A real PNG header (signature + IHDR) with the given size, padded to `totalBytes`. */
export function pngBytes(width: number, height: number, totalBytes = 64, fill = 0): Uint8Array<ArrayBuffer> {
  const bytes = new Uint8Array(Math.max(33, totalBytes)).fill(fill);
  bytes.set([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13, 0x49, 0x48, 0x44, 0x52]);
  const view = new DataView(bytes.buffer);
  view.setUint32(16, width);
  view.setUint32(20, height);
  return bytes;
}

export function toBase64(bytes: Uint8Array): string {
  let binary = "";
  for (let offset = 0; offset < bytes.length; offset += 0x8000) {
    binary += String.fromCharCode(...bytes.subarray(offset, offset + 0x8000));
  }
  return btoa(binary);
}

export { sha256Hex } from "../../workers/services/hashing.js";
