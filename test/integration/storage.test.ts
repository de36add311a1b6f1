import { env } from "cloudflare:workers";
import { describe, expect, inject, it } from "vitest";
import { MIN_PART_BYTES } from "../../workers/services/multipart.js";
import {
  StoreRejectedError,
  StoreUnavailableError,
  createObjectStore,
  type ObjectStoreOptions,
  type StoreFetch,
} from "../../workers/services/storage.js";
import { piecesOf } from "../helpers/streams.js";

type Server = ReturnType<typeof inject<"s3Servers">>[number];

// Against each real S3 server that test/global-setup.ts runs (path style, SigV4 checked), through its outage proxy.
function storeEnv(server: Server, overrides: Partial<Env> = {}): Env {
  return { ...env, S3_ENDPOINT: `http://127.0.0.1:${server.port}`, S3_BUCKET: server.bucket, ...overrides };
}

function freshKey(name = "0.png") {
  return `tests/storage/${crypto.randomUUID()}/${name}`;
}

function randomBytes(length: number): Uint8Array<ArrayBuffer> {
  const bytes = new Uint8Array(length);
  for (let offset = 0; offset < length; offset += 65536) crypto.getRandomValues(bytes.subarray(offset, offset + 65536));
  return bytes;
}

/** The bytes as a stream of `chunk`-byte pieces, made as the reader asks for them. */
const chunked = (bytes: Uint8Array, chunk = 16 * 1024) => piecesOf(bytes, chunk);

/** A fetch that records "METHOD ?query" for every request it passes on. */
function recordingFetch(calls: string[], next: StoreFetch = (request) => fetch(request)): StoreFetch {
  return (request) => {
    const url = new URL(request.url);
    const query = [...url.searchParams.keys()].filter((name) => !name.startsWith("X-Amz-")).join("&");
    calls.push(`${request.method}${query ? ` ?${query}` : ""}`);
    return next(request);
  };
}

async function bytesOf(response: Response) {
  return new Uint8Array(await response.arrayBuffer());
}

describe.each(inject("s3Servers"))("against $name", (server) => {
  const store = (options: ObjectStoreOptions = {}, overrides: Partial<Env> = {}) => createObjectStore(storeEnv(server, overrides), options);
  const proxy = (path: string, init?: RequestInit) => fetch(`http://127.0.0.1:${server.port}${path}`, init);

  describe("presigned PUT", () => {
    it("accepts a plain fetch that sends the signed content type", async () => {
      const key = freshKey();
      const body = randomBytes(1000);
      const upload = await store().presignPut(key, { contentType: "image/png", expiresInSeconds: 60 });
      expect(upload.headers).toEqual({ "content-type": "image/png" });

      const response = await fetch(upload.url, { method: "PUT", headers: upload.headers, body });
      expect(response.status).toBe(200);
      expect(await store().head(key)).toMatchObject({ size: 1000, contentType: "image/png" });
    });

    it("with a signed size, takes exactly that many bytes and refuses any other count", async () => {
      const key = freshKey();
      const upload = await store().presignPut(key, { contentType: "image/png", contentLength: 1000, expiresInSeconds: 60 });
      expect(upload.headers).toEqual({ "content-type": "image/png", "content-length": "1000" });
      expect(new URL(upload.url).searchParams.get("X-Amz-SignedHeaders")).toBe("content-length;content-type;host");

      for (const size of [1001, 999, 40 * 1024]) {
        const refused = await fetch(upload.url, { method: "PUT", headers: { "content-type": "image/png" }, body: randomBytes(size) });
        expect(refused.status).toBe(403);
        expect(await refused.text()).toContain("SignatureDoesNotMatch");
      }
      expect(await store().head(key)).toBeNull();
      const body = randomBytes(1000);
      expect((await fetch(upload.url, { method: "PUT", headers: { "content-type": "image/png" }, body })).status).toBe(200);
      expect(await bytesOf(await store().get(key))).toEqual(body);
    });

    it("rejects a PUT with another content type, and stores nothing", async () => {
      const key = freshKey();
      const upload = await store().presignPut(key, { contentType: "image/png", expiresInSeconds: 60 });
      const response = await fetch(upload.url, { method: "PUT", headers: { "content-type": "text/html" }, body: "<script>" });
      expect(response.status).toBe(403);
      expect(await response.text()).toContain("SignatureDoesNotMatch");
      expect(await store().head(key)).toBeNull();
    });

    it("rejects a tampered signature", async () => {
      const key = freshKey();
      const upload = new URL((await store().presignPut(key, { contentType: "image/png", expiresInSeconds: 60 })).url);
      const signature = upload.searchParams.get("X-Amz-Signature")!;
      upload.searchParams.set("X-Amz-Signature", `${signature.slice(0, -1)}${signature.endsWith("0") ? "1" : "0"}`);
      const response = await fetch(upload, { method: "PUT", headers: { "content-type": "image/png" }, body: "x" });
      expect(response.status).toBe(403);
      expect(await store().head(key)).toBeNull();
    });

    it("rejects a URL once it has expired", async () => {
      const key = freshKey();
      const twoMinutesAgo = () => Date.now() - 120_000;
      const upload = await store({ now: twoMinutesAgo }).presignPut(key, { contentType: "image/png", expiresInSeconds: 60 });
      expect(Date.parse(upload.expiresAt)).toBeLessThan(Date.now());
      const response = await fetch(upload.url, { method: "PUT", headers: upload.headers, body: "x" });
      expect(response.status).toBe(403);
      expect(await response.text()).toMatch(/expired/i);
      expect(await store().head(key)).toBeNull();
    });
  });

  describe("reading objects", () => {
    it("presignGet returns the bytes to a plain fetch", async () => {
      const key = freshKey();
      const body = randomBytes(2048);
      await store().put(key, body, "image/png");
      const url = await store().presignGet(key, { expiresInSeconds: 60 });
      expect(new URL(url).searchParams.get("X-Amz-Expires")).toBe("60");
      const response = await fetch(url);
      expect(response.status).toBe(200);
      expect(await bytesOf(response)).toEqual(body);
    });

    it("HEAD gives size, type and etag; a missing key is null", async () => {
      const key = freshKey("1.webp");
      await store().put(key, randomBytes(4321), "image/webp");
      const head = await store().head(key);
      expect(head).toEqual({ size: 4321, contentType: "image/webp", etag: expect.stringMatching(/^[0-9a-f]{32}$/) });
      expect(await store().head(freshKey())).toBeNull();
    });

    it("HEAD refused for a wrong secret is an error, not a missing object", async () => {
      const badCredentials = store({}, { S3_SECRET_ACCESS_KEY: "wrong" });
      const error = await badCredentials.head(freshKey()).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(StoreRejectedError);
      expect(error).toMatchObject({ status: 403 });
    });

    it("get streams the object, honours Range, and passes a 404 through", async () => {
      const key = freshKey();
      const body = randomBytes(5000);
      await store().put(key, body, "image/png");
      const whole = await store().get(key);
      expect(whole.status).toBe(200);
      expect(await bytesOf(whole)).toEqual(body);
      const range = await store().get(key, { headers: { range: "bytes=10-19" } });
      expect(range.status).toBe(206);
      expect(await bytesOf(range)).toEqual(body.subarray(10, 20));
      const missing = await store().get(freshKey());
      expect(missing.status).toBe(404);
    });

    it("encodes every key segment, so unusual characters reach the same object", async () => {
      const key = freshKey("with space+plus (1)!.png");
      const body = randomBytes(300);
      await store().put(key, body, "image/png");
      expect(await bytesOf(await store().get(key))).toEqual(body);
      expect(await bytesOf(await fetch(await store().presignGet(key)))).toEqual(body);
    });
  });

  describe("upload", () => {
    // Parts at S3's 5 MiB floor: AWS and versitygw refuse smaller ones at CompleteMultipartUpload.
    const small = { multipartThresholdBytes: MIN_PART_BYTES, partBytes: MIN_PART_BYTES };

    it("sends a small object in one PUT", async () => {
      const calls: string[] = [];
      const key = freshKey();
      const body = randomBytes(MIN_PART_BYTES);
      await store({ ...small, fetch: recordingFetch(calls) }).upload(key, body, "image/png");
      expect(calls).toEqual(["PUT"]);
      expect(await bytesOf(await store().get(key))).toEqual(body);
    });

    it("sends a large object in parts, which reassemble to the same bytes", async () => {
      const calls: string[] = [];
      const key = freshKey();
      const body = randomBytes(2 * MIN_PART_BYTES + 7);
      await store({ ...small, fetch: recordingFetch(calls) }).upload(key, body.buffer as ArrayBuffer, "image/png");
      expect(calls[0]).toBe("POST ?uploads");
      expect(calls.filter((call) => call === "PUT ?partNumber&uploadId")).toHaveLength(3);
      expect(calls.at(-1)).toBe("POST ?uploadId");
      expect(calls).toHaveLength(5);
      expect(await store().head(key)).toMatchObject({ size: body.byteLength, contentType: "image/png" });
      expect(await bytesOf(await store().get(key))).toEqual(body);
    });

    it("aborts the multipart upload when a part is refused", async () => {
      const calls: string[] = [];
      const refusePart3: StoreFetch = (request) =>
        new URL(request.url).searchParams.get("partNumber") === "3" ? Promise.resolve(new Response("", { status: 403 })) : fetch(request);
      const key = freshKey();
      const upload = store({ ...small, fetch: recordingFetch(calls, refusePart3) }).upload(key, randomBytes(3 * MIN_PART_BYTES), "image/png");
      await expect(upload).rejects.toBeInstanceOf(StoreRejectedError);
      expect(calls.at(-1)).toBe("DELETE ?uploadId");
      expect(calls).not.toContain("POST ?uploadId");
      expect(await store().head(key)).toBeNull();
    });
  });

  describe("streamed PUT", () => {
    it("stores a body that arrives in pieces, whole and with its type", async () => {
      const key = freshKey();
      const body = randomBytes(300 * 1024 + 5);
      await store().putStream(key, chunked(body), { contentType: "image/png", contentLength: body.byteLength });
      expect(await store().head(key)).toMatchObject({ size: body.byteLength, contentType: "image/png" });
      expect(await bytesOf(await store().get(key))).toEqual(body);
    });

    it("fails on a body longer or shorter than declared, and leaves nothing under the key", async () => {
      for (const declared of [999, 1001]) {
        const key = freshKey();
        await expect(store().putStream(key, chunked(randomBytes(1000), 100), { contentType: "image/png", contentLength: declared })).rejects.toThrow();
        expect(await store().head(key)).toBeNull();
      }
    });

    it("leaves nothing under the key when the store's connection is cut mid-body", async () => {
      const key = freshKey();
      const prefix = encodeURIComponent(key.slice(0, key.lastIndexOf("/") + 1));
      await proxy(`/_outage?prefix=${prefix}&after=65536`, { method: "POST" });
      try {
        const body = randomBytes(512 * 1024);
        const error = await store().putStream(key, chunked(body), { contentType: "image/png", contentLength: body.byteLength }).catch((e: unknown) => e);
        expect(error).toBeInstanceOf(StoreUnavailableError);
        const { bytes } = (await (await proxy(`/_received?prefix=${prefix}`)).json()) as { bytes: number };
        expect(bytes).toBe(65536);
      } finally {
        await proxy(`/_outage?prefix=${prefix}`, { method: "DELETE" });
      }
      expect(await store().head(key)).toBeNull();
    });

    it("replaces what the key held only once the new body is whole", async () => {
      const key = freshKey();
      const before = randomBytes(2000);
      await store().put(key, before, "image/png");
      await expect(store().putStream(key, chunked(randomBytes(3000), 100), { contentType: "image/png", contentLength: 2999 })).rejects.toThrow();
      expect(await bytesOf(await store().get(key))).toEqual(before);
    });
  });

  it("as a network volume cannot presign but still reads and writes signed", async () => {
    const volume = store({}, { S3_MODE: "network-volume" });
    expect(volume.capabilities).toEqual({ canPresign: false });
    await expect(volume.presignPut("a.png", { contentType: "image/png" })).rejects.toThrow(/cannot presign/);
    await expect(volume.presignGet("a.png")).rejects.toThrow(/cannot presign/);
    const key = freshKey();
    await volume.upload(key, randomBytes(77), "image/png");
    expect(await volume.head(key)).toMatchObject({ size: 77 });
  });
});

describe("a store that fails", () => {
  const store = (options: ObjectStoreOptions = {}, overrides: Partial<Env> = {}) => createObjectStore({ ...env, ...overrides }, options);

  it("that is down fails into StoreUnavailableError after one retry", async () => {
    const calls: string[] = [];
    const down = store({ fetch: recordingFetch(calls) }, { S3_ENDPOINT: "http://127.0.0.1:1" });
    await expect(down.head(freshKey())).rejects.toBeInstanceOf(StoreUnavailableError);
    expect(calls).toEqual(["HEAD", "HEAD"]);
  });

  it("that never answers times out into StoreUnavailableError, without a retry", async () => {
    let attempts = 0;
    const silent: StoreFetch = (request) => {
      attempts++;
      return new Promise((_, reject) => request.signal.addEventListener("abort", () => reject(new Error("aborted"))));
    };
    const error = await store({ fetch: silent, timeoutMs: 50 }).head(freshKey()).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StoreUnavailableError);
    expect(String(error)).toContain("timed out");
    expect(attempts).toBe(1);
  });

  it("that answers 503 once is retried and then succeeds", async () => {
    const key = freshKey();
    await store().put(key, randomBytes(10), "image/png");
    let failuresLeft = 1;
    const flaky: StoreFetch = (request) =>
      failuresLeft-- > 0 ? Promise.resolve(new Response("<Error><Code>SlowDown</Code></Error>", { status: 503 })) : fetch(request);
    expect(await store({ fetch: flaky }).head(key)).toMatchObject({ size: 10 });
  });

  it("that keeps answering 500 ends in StoreUnavailableError", async () => {
    const broken: StoreFetch = () => Promise.resolve(new Response("", { status: 500 }));
    const error = await store({ fetch: broken }).put(freshKey(), randomBytes(10), "image/png").catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StoreUnavailableError);
  });

  it("is not retried for a streamed body, which cannot be sent twice", async () => {
    const calls: string[] = [];
    const unavailable: StoreFetch = (request) => (request.method === "PUT" ? Promise.resolve(new Response("", { status: 503 })) : fetch(request));
    const key = freshKey();
    const error = await store({ fetch: recordingFetch(calls, unavailable) })
      .putStream(key, chunked(randomBytes(100)), { contentType: "image/png", contentLength: 100 })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StoreUnavailableError);
    expect(calls.filter((call) => call === "PUT")).toHaveLength(1);
  });

  // workerd logs a request body stream that fails as an uncaught exception; an aborted request it does not.
  it("aborts a streamed PUT whose body fails, runs long or ends short, and never fails the request's own stream", async () => {
    const failing = new ReadableStream<Uint8Array>({
      start: (controller) => controller.enqueue(randomBytes(100)),
      pull: (controller) => controller.error(new Error("the client went away")),
    });
    for (const [body, contentLength, reason] of [
      [chunked(randomBytes(1000), 100), 999, /longer than its declared 999 bytes/],
      [chunked(randomBytes(1000), 100), 1001, /ended after 1000 of its 1001 bytes/],
      [failing, 1000, /the client went away/],
    ] as const) {
      let requestBody: "aborted" | "failed" | "whole" | undefined;
      const watching: StoreFetch = async (request) => {
        if (request.method !== "PUT" || request.headers.has("x-amz-copy-source")) return fetch(request);
        const reader = request.body!.getReader();
        const aborted = new Promise<"aborted">((resolve) => request.signal.addEventListener("abort", () => resolve("aborted")));
        const drained = (async () => {
          while (!(await reader.read()).done);
          return "whole" as const;
        })().catch(() => "failed" as const);
        requestBody = await Promise.race([aborted, drained]);
        throw new Error(`the request's body ${requestBody}`);
      };
      const key = freshKey();
      await expect(store({ fetch: watching }).putStream(key, body, { contentType: "image/png", contentLength })).rejects.toThrow(reason);
      expect(requestBody).toBe("aborted");
      expect(await store().head(key)).toBeNull();
    }
  });
});

describe("presigning and addressing", () => {
  const store = (options: ObjectStoreOptions = {}, overrides: Partial<Env> = {}) => createObjectStore({ ...env, ...overrides }, options);

  it("signs the expiry that was asked for, 15 minutes by default, a week at most", async () => {
    const signedAt = Date.UTC(2030, 0, 2, 3, 4, 5, 678);
    const presigner = store({ now: () => signedAt });
    const upload = await presigner.presignPut("a.png", { contentType: "image/png", expiresInSeconds: 600 });
    const url = new URL(upload.url);
    expect(url.searchParams.get("X-Amz-Expires")).toBe("600");
    expect(url.searchParams.get("X-Amz-Date")).toBe("20300102T030405Z");
    expect(url.searchParams.get("X-Amz-SignedHeaders")).toBe("content-type;host");
    expect(upload.expiresAt).toBe("2030-01-02T03:14:05.000Z");

    const byDefault = new URL((await presigner.presignPut("a.png", { contentType: "image/png" })).url);
    expect(byDefault.searchParams.get("X-Amz-Expires")).toBe("900");
    await expect(presigner.presignGet("a.png", { expiresInSeconds: 8 * 24 * 3600 })).rejects.toThrow(RangeError);
    await expect(presigner.presignGet("a.png", { expiresInSeconds: 0 })).rejects.toThrow(RangeError);
  });

  it("builds virtual-hosted URLs as bucket.host when path style is off", async () => {
    const aws = { S3_ENDPOINT: "https://s3.eu-west-1.amazonaws.com", S3_FORCE_PATH_STYLE: "false", S3_BUCKET: "easel-prod" };
    const url = new URL(await store({}, aws).presignGet("jobs/own_a/job_1/0 (1).png"));
    expect(url.origin).toBe("https://easel-prod.s3.eu-west-1.amazonaws.com");
    expect(url.pathname).toBe("/jobs/own_a/job_1/0%20%281%29.png");

    const requested: string[] = [];
    const capture: StoreFetch = (request) => (requested.push(request.url), Promise.resolve(new Response(null, { status: 404 })));
    expect(await store({ fetch: capture }, aws).head("uploads/own_a/x.png")).toBeNull();
    expect(requested).toEqual(["https://easel-prod.s3.eu-west-1.amazonaws.com/uploads/own_a/x.png"]);
  });

  it("builds path-style URLs under an endpoint's own path", async () => {
    const url = new URL(await store({}, { S3_ENDPOINT: "https://volume.example/s3/", S3_BUCKET: "vol1" }).presignGet("a/b.png"));
    expect(`${url.origin}${url.pathname}`).toBe("https://volume.example/s3/vol1/a/b.png");
  });

  it("reads capabilities from S3_MODE and refuses an unknown mode", () => {
    expect(store().capabilities).toEqual({ canPresign: true });
    expect(store({}, { S3_MODE: "network-volume" }).capabilities).toEqual({ canPresign: false });
    expect(() => store({}, { S3_MODE: "presign" })).toThrow(/S3_MODE/);
  });
});
