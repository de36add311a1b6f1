import { describe, expect, it } from "vitest";
import { signImageUrl, verifyImageUrl } from "../../workers/services/image-url-signature.js";

const KEY = "test-signing-key-0123456789abcdef";

describe("signed display URLs for GET /api/images/:id", () => {
  it("verifies for its image until it expires, and never for another image or key", async () => {
    const now = Date.UTC(2026, 10, 24, 8, 0, 0);
    const url = new URL(await signImageUrl(KEY, "https://easel.test", "img_a_0", 300, now));
    expect(url.pathname).toBe("/api/images/img_a_0");
    const expires = url.searchParams.get("expires")!;
    const signature = url.searchParams.get("signature")!;
    expect(Number(expires)).toBe(now / 1000 + 300);
    expect(await verifyImageUrl(KEY, "img_a_0", expires, signature, now + 299_000)).toBe(true);
    expect(await verifyImageUrl(KEY, "img_a_0", expires, signature, now + 301_000)).toBe(false);
    expect(await verifyImageUrl(KEY, "img_a_1", expires, signature, now)).toBe(false);
    expect(await verifyImageUrl("another-deployment-key", "img_a_0", expires, signature, now)).toBe(false);
    expect(await verifyImageUrl(KEY, "img_a_0", `${expires}0`, signature, now)).toBe(false);
    expect(await verifyImageUrl(KEY, "img_a_0", "soon", signature, now)).toBe(false);
  });
});
