import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { crc32, deflateSync } from "node:zlib";

/** Small PNGs drawn in code, so the demo and the tests need no image files: a content and a style image. */

type Pixel = (x: number, y: number) => [number, number, number];

function encodePng(width: number, height: number, pixel: Pixel): Uint8Array<ArrayBuffer> {
  const raw = Buffer.alloc((width * 3 + 1) * height);
  for (let y = 0; y < height; y++) {
    const row = y * (width * 3 + 1);
    for (let x = 0; x < width; x++) raw.set(pixel(x, y).map((value) => Math.max(0, Math.min(255, Math.round(value)))), row + 1 + x * 3);
  }
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header.set([8, 2, 0, 0, 0], 8); // 8-bit RGB, no interlace
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk("IHDR", header), chunk("IDAT", deflateSync(raw)), chunk("IEND", Buffer.alloc(0))]);
}

function chunk(type: string, data: Buffer): Buffer {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(data.length);
  const typed = Buffer.concat([Buffer.from(type, "ascii"), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(typed));
  return Buffer.concat([length, typed, crc]);
}

/** A landscape: sky, sun, two hills and a house. */
export function contentImage(size = 256): Uint8Array<ArrayBuffer> {
  return encodePng(size, size, (x, y) => {
    const u = x / size;
    const v = y / size;
    const hill = 0.62 + 0.08 * Math.sin(u * 7) + 0.05 * Math.cos(u * 13);
    if ((u - 0.72) ** 2 + (v - 0.25) ** 2 < 0.01) return [255, 214, 90];
    if (u > 0.25 && u < 0.45 && v > hill - 0.18 && v < hill) return v < hill - 0.12 ? [150, 40, 40] : [230, 220, 200];
    if (v > hill) return [40 + 60 * v, 120 + 40 * Math.sin(u * 20), 50];
    return [90 + 80 * v, 150 + 60 * v, 235];
  });
}

/** Bold swirling bands, the kind of palette a style transfer borrows. */
export function styleImage(size = 256): Uint8Array<ArrayBuffer> {
  return encodePng(size, size, (x, y) => {
    const u = x / size - 0.5;
    const v = y / size - 0.5;
    const swirl = Math.atan2(v, u) * 3 + Math.hypot(u, v) * 18;
    return [128 + 127 * Math.sin(swirl), 100 + 90 * Math.sin(swirl + 2.1), 150 + 100 * Math.sin(swirl + 4.2)];
  });
}

export type SampleFiles = { style: string; content: string };

/** The two images as files in `directory` (the demo uploads them from there; the README's CLI example reuses them). */
export function writeSampleImages(directory: string): SampleFiles {
  mkdirSync(directory, { recursive: true });
  const files = { style: join(directory, "style.png"), content: join(directory, "content.png") };
  writeFileSync(files.style, styleImage());
  writeFileSync(files.content, contentImage());
  return files;
}
