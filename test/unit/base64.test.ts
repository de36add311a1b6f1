import { describe, expect, it } from "vitest";
import { decodeBase64 } from "../../workers/services/base64.js";
import { toBase64 } from "../helpers/images.js";

const MIB = 1024 * 1024;

describe("decodeBase64", () => {
  it("decodes a 20 MiB image (the configured maximum) exactly", () => {
    const bytes = new Uint8Array(20 * MIB);
    for (let index = 0; index < bytes.length; index += 4093) bytes[index] = index & 0xff;
    const decoded = decodeBase64(toBase64(bytes));
    expect(decoded?.byteLength).toBe(bytes.byteLength);
    expect(decoded!.every((value, index) => value === bytes[index])).toBe(true);
  });

  it("takes URL-safe base64, whitespace and missing padding", () => {
    expect(decodeBase64("-_8")).toEqual(new Uint8Array([0xfb, 0xff]));
    expect(decodeBase64("+/8=")).toEqual(new Uint8Array([0xfb, 0xff]));
    expect(decodeBase64("aGVs\nbG8")).toEqual(new TextEncoder().encode("hello"));
  });

  it.each([["%%%"], ["a"], ["+-8="], ["aGVsbG8=="]])("refuses %j", (text) => {
    expect(decodeBase64(text)).toBeNull();
  });
});
