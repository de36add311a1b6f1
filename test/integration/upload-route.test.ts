import { env } from "cloudflare:workers";
import { createExecutionContext } from "cloudflare:test";
import { describe, expect, inject, it } from "vitest";
import { createApp } from "../../workers/app.js";
import { createObjectStore } from "../../workers/services/storage.js";
import { signUploadUrl } from "../../workers/uploads/upload-url.js";
import { BASE, bearer, createApiKey } from "../helpers/api.js";
import { pngBytes } from "../helpers/images.js";
import { piecesOf } from "../helpers/streams.js";

type Upload = { key: string; url: string; method: string; headers: Record<string, string>; expiresAt: string };
type ErrorBody = { error: { code: string; message: string } };

const MAX_IMAGE_BYTES = Number(env.MAX_IMAGE_BYTES);
const CHUNK = 64 * 1024;

const pieces = (bytes: Uint8Array, beforePiece?: (offset: number) => Promise<void>) => piecesOf(bytes, CHUNK, beforePiece);

// The Worker's upload route, for stores that cannot presign, against each S3 server (test/global-setup.ts).
describe.each(inject("s3Servers"))("the Worker's upload route, storing to $name", (server) => {
  const volumeEnv = { ...env, S3_MODE: "network-volume", S3_ENDPOINT: `http://127.0.0.1:${server.port}`, S3_BUCKET: server.bucket };
  const worker = (path: string, init: RequestInit = {}) => createApp().fetch(new Request(new URL(path, BASE), init), volumeEnv, createExecutionContext());
  const store = createObjectStore(volumeEnv);
  const proxy = (path: string, init?: RequestInit) => fetch(`http://127.0.0.1:${server.port}${path}`, init);
  const put = (upload: Upload, body: BodyInit, headers: Record<string, string> = upload.headers) => worker(upload.url, { method: "PUT", headers, body });

  async function ask(owner: string, contentLength: number, contentType = "image/png"): Promise<Upload> {
    const key = await createApiKey(owner);
    const response = await worker("/api/uploads", {
      method: "POST",
      headers: { ...bearer(key), "content-type": "application/json" },
      body: JSON.stringify({ contentType, contentLength }),
    });
    expect(response.status).toBe(201);
    return (await response.json()) as Upload;
  }

  async function expectRefused(response: Response, status: number, message: RegExp) {
    expect(response.status).toBe(status);
    expect(((await response.json()) as ErrorBody).error.message).toMatch(message);
  }

  it("hands out its own short-lived signed URL, and streams the image PUT to it into the bucket", async () => {
    const owner = `route_ok_${server.name}`;
    const bytes = pngBytes(40, 30, 3000, 7);
    const upload = await ask(owner, bytes.byteLength);
    expect(upload.method).toBe("PUT");
    expect(upload.url).toMatch(new RegExp(`^${BASE}/api/uploads/${owner}/[A-Za-z0-9-]+\\.png\\?expires=\\d+&signature=[\\w-]+$`));
    expect(upload.key).toBe(`uploads/${new URL(upload.url).pathname.slice("/api/uploads/".length)}`);
    expect(upload.headers).toEqual({ "content-type": "image/png", "content-length": "3000" });
    expect(Date.parse(upload.expiresAt) - Date.now()).toBeGreaterThan(10 * 60_000);

    const stored = await put(upload, bytes);
    expect(stored.status).toBe(200);
    expect(await stored.json()).toEqual({ key: upload.key, size: 3000, contentType: "image/png" });
    expect(await store.head(upload.key)).toMatchObject({ size: 3000, contentType: "image/png" });
    expect(new Uint8Array(await (await store.get(upload.key)).arrayBuffer())).toEqual(bytes);
  });

  it("refuses bytes that are not an image, or not the signed type, with 415, and stores nothing", async () => {
    const text = new TextEncoder().encode("<html>".padEnd(2000, "x"));
    const notImage = await ask(`route_type_${server.name}`, text.byteLength);
    await expectRefused(await put(notImage, text), 415, /not a PNG, JPEG or WebP image/);
    expect(await store.head(notImage.key)).toBeNull();

    const jpeg = new Uint8Array(2000);
    jpeg.set([0xff, 0xd8, 0xff, 0xe0]);
    const wrongType = await ask(`route_type_${server.name}`, jpeg.byteLength);
    await expectRefused(await put(wrongType, jpeg), 415, /image\/jpeg, not the image\/png/);
    expect(await store.head(wrongType.key)).toBeNull();
  });

  it("refuses a body over the maximum from its Content-Length with 413, before reading it", async () => {
    const upload = await ask(`route_big_${server.name}`, 1000);
    let pulled = 0;
    const body = new ReadableStream<Uint8Array>({ pull: (controller) => { pulled++; controller.enqueue(new Uint8Array(CHUNK)); } });
    const response = await put(upload, body, { ...upload.headers, "content-length": String(MAX_IMAGE_BYTES + 1) });
    await expectRefused(response, 413, new RegExp(`at most ${MAX_IMAGE_BYTES} bytes`));
    expect(pulled).toBeLessThanOrEqual(1);
    expect(await store.head(upload.key)).toBeNull();
  });

  it("refuses, with 400, a body that ends short of its Content-Length, and stores nothing", async () => {
    const upload = await ask(`route_short_${server.name}`, 3 * CHUNK);
    const response = await put(upload, pieces(pngBytes(8, 8, 2 * CHUNK)));
    await expectRefused(response, 400, /ended after 131072 of its 196608 bytes/);
    expect(await store.head(upload.key)).toBeNull();
  });

  it("refuses, with 403, an expired URL, a tampered one, another key's, and another type or size than signed", async () => {
    const owner = `route_sig_${server.name}`;
    const bytes = pngBytes(8, 8, 1000);
    const upload = await ask(owner, bytes.byteLength);
    const url = new URL(upload.url);
    const signature = url.searchParams.get("signature")!;
    const attempt = (path: string, headers = upload.headers, body: Uint8Array = bytes) => worker(path, { method: "PUT", headers, body });

    const tampered = `${url.pathname}?expires=${url.searchParams.get("expires")}&signature=${signature.slice(0, -2)}AA`;
    await expectRefused(await attempt(tampered), 403, /signature does not match/);
    const prolonged = `${url.pathname}?expires=${Number(url.searchParams.get("expires")) + 3600}&signature=${signature}`;
    await expectRefused(await attempt(prolonged), 403, /signature does not match/);
    await expectRefused(await attempt(url.pathname), 403, /signature does not match/);
    const otherOwner = `${url.pathname.replace(owner, "route_sig_other")}${url.search}`;
    await expectRefused(await attempt(otherOwner), 403, /signature does not match/);
    const otherFile = `${url.pathname.replace(/[^/]+\.png$/, "other.png")}${url.search}`;
    await expectRefused(await attempt(otherFile), 403, /signature does not match/);
    const webp = { "content-type": "image/webp", "content-length": "1000" };
    await expectRefused(await attempt(`${url.pathname}${url.search}`, webp), 403, /signature does not match/);
    const longer = { "content-type": "image/png", "content-length": "1001" };
    await expectRefused(await attempt(`${url.pathname}${url.search}`, longer, pngBytes(8, 8, 1001)), 403, /signature does not match/);
    await expectRefused(await attempt(`${url.pathname}${url.search}`, { "content-type": "image/png" }), 400, /send Content-Length/);

    const signedLongAgo = Date.now() - 20 * 60_000;
    const expired = await signUploadUrl(env.WEBHOOK_SIGNING_KEY, BASE, { key: upload.key, contentType: "image/png", contentLength: 1000 }, 15 * 60, signedLongAgo);
    await expectRefused(await attempt(expired.url), 403, /has expired/);
    expect(await store.head(upload.key)).toBeNull();
    expect((await attempt(`${url.pathname}${url.search}`)).status).toBe(200);
  });

  it("takes a body at the maximum without holding it whole: the store has most of it while the rest is still coming", async () => {
    const owner = `route_max_${server.name}`;
    const bytes = pngBytes(64, 64, MAX_IMAGE_BYTES, 3);
    const upload = await ask(owner, bytes.byteLength);
    // Before each piece past the first megabyte, wait until the store holds all but the last
    // megabyte sent: a Worker that read the whole body before storing it would never get there.
    const window = 1024 * 1024;
    const storeHasReached = async (offset: number) => {
      if (offset < window) return;
      for (let poll = 0; poll < 600; poll++) {
        const { bytes: received } = (await (await proxy(`/_received?prefix=${encodeURIComponent(upload.key)}`)).json()) as { bytes: number };
        if (received >= offset - window) return;
        await new Promise((resolve) => setTimeout(resolve, 25));
      }
      throw new Error(`the store had not received ${offset - window} bytes while the client was sending byte ${offset}`);
    };
    const response = await put(upload, pieces(bytes, storeHasReached));
    expect(response.status).toBe(200);
    expect(await store.head(upload.key)).toMatchObject({ size: MAX_IMAGE_BYTES });
    expect(new Uint8Array(await (await store.get(upload.key)).arrayBuffer())).toEqual(bytes);
  }, 30_000);

  it("lets a browser on a configured origin PUT to it (CORS preflight)", async () => {
    const upload = await ask(`route_cors_${server.name}`, 1000);
    const preflight = await createApp().fetch(
      new Request(upload.url, {
        method: "OPTIONS",
        headers: { origin: "https://app.example.com", "access-control-request-method": "PUT", "access-control-request-headers": "content-type" },
      }),
      { ...volumeEnv, CORS_ORIGINS: "https://app.example.com" },
      createExecutionContext(),
    );
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get("access-control-allow-origin")).toBe("https://app.example.com");
    expect(preflight.headers.get("access-control-allow-methods")).toContain("PUT");
  });

  it("answers 503 and leaves nothing under the key when the store fails in the middle of the body", async () => {
    const owner = `route_cut_${server.name}`;
    const bytes = pngBytes(8, 8, 8 * CHUNK);
    const upload = await ask(owner, bytes.byteLength);
    const prefix = encodeURIComponent(upload.key);
    await proxy(`/_outage?prefix=${prefix}&after=${2 * CHUNK}`, { method: "POST" });
    try {
      await expectRefused(await put(upload, pieces(bytes)), 503, /object store is unavailable/);
      const { bytes: received } = (await (await proxy(`/_received?prefix=${prefix}`)).json()) as { bytes: number };
      expect(received).toBe(2 * CHUNK);
    } finally {
      await proxy(`/_outage?prefix=${prefix}`, { method: "DELETE" });
    }
    expect(await store.head(upload.key)).toBeNull();
  });
});
