import { describe, expect, it } from "vitest";
import { IMAGE_HEAD_BYTES, imageTypeOf, sniffImage } from "../../workers/services/image-info.js";
import { pngBytes } from "../helpers/images.js";

const bytes = (...parts: (number[] | string)[]) =>
  new Uint8Array(parts.flatMap((part) => (typeof part === "string" ? [...part].map((c) => c.charCodeAt(0)) : part)));

// A JPEG's start of image, an APP0 segment, then a baseline frame header (SOF0) for 640×480.
const jpeg = bytes([0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10], "JFIF", [0, 1, 1, 0, 0, 1, 0, 1, 0, 0], [0xff, 0xc0, 0x00, 0x11, 0x08, 0x01, 0xe0, 0x02, 0x80, 3]);
// A lossless WebP (VP8L) of 300×200: width-1 and height-1 packed into 14 bits each.
const webp = (() => {
  const packed = (300 - 1) | ((200 - 1) << 14);
  return bytes("RIFF", [0, 0, 0, 0], "WEBPVP8L", [0, 0, 0, 0, 0x2f], [packed & 0xff, (packed >> 8) & 0xff, (packed >> 16) & 0xff, (packed >> 24) & 0xff], new Array(10).fill(0));
})();

describe("imageTypeOf", () => {
  it("tells PNG, JPEG and WebP from their first bytes", () => {
    expect(imageTypeOf(pngBytes(10, 10).subarray(0, IMAGE_HEAD_BYTES))).toBe("image/png");
    expect(imageTypeOf(jpeg.subarray(0, IMAGE_HEAD_BYTES))).toBe("image/jpeg");
    expect(imageTypeOf(webp.subarray(0, IMAGE_HEAD_BYTES))).toBe("image/webp");
  });

  it("is null for other bytes, other RIFF files and a head too short to tell", () => {
    expect(imageTypeOf(new TextEncoder().encode("<html><body>not an image</body></html>"))).toBeNull();
    expect(imageTypeOf(bytes("GIF89a", new Array(10).fill(0)))).toBeNull();
    expect(imageTypeOf(bytes("RIFF", [0, 0, 0, 0], "WAVEfmt ", [0, 0, 0, 0]))).toBeNull();
    expect(imageTypeOf(pngBytes(10, 10).subarray(0, 8))).toBeNull();
    expect(imageTypeOf(new Uint8Array(0))).toBeNull();
  });
});

describe("sniffImage", () => {
  it("reads the dimensions of each type", () => {
    expect(sniffImage(pngBytes(64, 48))).toEqual({ contentType: "image/png", width: 64, height: 48 });
    expect(sniffImage(jpeg)).toEqual({ contentType: "image/jpeg", width: 640, height: 480 });
    expect(sniffImage(webp)).toEqual({ contentType: "image/webp", width: 300, height: 200 });
  });
});
