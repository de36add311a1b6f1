import { MIN_PART_BYTES, multipartUpload } from "./multipart.js";
import { stagingKey } from "./object-keys.js";
import { S3Transport, StoreRejectedError, rejected, type StoreFetch } from "./s3-transport.js";
import { sizedBody } from "./sized-body.js";

export { StoreRejectedError, StoreUnavailableError, type StoreFetch } from "./s3-transport.js";

export type StoreMode = "presigned" | "network-volume";

/** What the configured store can do; routes read this instead of checking the mode. */
export type StoreCapabilities = { canPresign: boolean };

export type PresignedPut = {
  url: string;
  /** Headers the uploader must send exactly as given: they are part of the signature. */
  headers: Record<string, string>;
  expiresAt: string;
};

export type ObjectHead = { size: number; contentType: string | null; etag: string | null };

export type ObjectBytes = ArrayBuffer | Uint8Array;

export interface ObjectStore {
  readonly capabilities: StoreCapabilities;
  /** Signs the type and, when given, the exact byte size: the store refuses a PUT of any other size. */
  presignPut(key: string, options: { contentType: string; contentLength?: number; expiresInSeconds?: number }): Promise<PresignedPut>;
  presignGet(key: string, options?: { expiresInSeconds?: number }): Promise<string>;
  /** null when there is no such object; throws StoreRejectedError on 403 and other refusals. */
  head(key: string): Promise<ObjectHead | null>;
  /** One PutObject, whatever the size. */
  put(key: string, body: ObjectBytes, contentType: string): Promise<void>;
  /** Create/UploadPart/Complete, aborted on failure. */
  putMultipart(key: string, body: ObjectBytes, contentType: string): Promise<void>;
  /**
   * Streams `body`, which must carry exactly `contentLength` bytes, to the store: the key holds the
   * whole object or nothing, whatever fails (see putStream below).
   */
  putStream(key: string, body: ReadableStream<Uint8Array>, options: { contentType: string; contentLength: number }): Promise<void>;
  /** CopyObject within the bucket, type and metadata kept. */
  copy(from: string, to: string): Promise<void>;
  /** put, or putMultipart above the store's multipart threshold. */
  upload(key: string, body: ObjectBytes, contentType: string): Promise<void>;
  /** A signed GET, answered as it comes (2xx, 304, 404, 412, 416), to stream through the Worker. */
  get(key: string, init?: { headers?: HeadersInit }): Promise<Response>;
  /** DeleteObject; an object that is not there counts as deleted, as S3 has it. */
  delete(key: string): Promise<void>;
}

export type ObjectStoreOptions = {
  fetch?: StoreFetch;
  /** Per attempt, until the response head arrives. */
  timeoutMs?: number;
  /** Further attempts after a 5xx, 429 or network error (not after a timeout). */
  retries?: number;
  multipartThresholdBytes?: number;
  partBytes?: number;
  now?: () => number;
};

const MIB = 1024 * 1024;
const DEFAULT_PRESIGN_SECONDS = 15 * 60;
// SigV4 presigned URLs cannot live longer than a week.
const MAX_PRESIGN_SECONDS = 7 * 24 * 60 * 60;
const PASSED_THROUGH_GET_STATUSES = new Set([304, 404, 412, 416]);

export function storeMode(env: Pick<Env, "S3_MODE">): StoreMode {
  const mode = env.S3_MODE || "presigned";
  if (mode !== "presigned" && mode !== "network-volume") {
    throw new Error(`S3_MODE must be "presigned" or "network-volume", not ${JSON.stringify(mode)}`);
  }
  return mode;
}

export function createObjectStore(env: Env, options: ObjectStoreOptions = {}): ObjectStore {
  const now = options.now ?? Date.now;
  const multipartThreshold = options.multipartThresholdBytes ?? 8 * MIB;
  const partBytes = options.partBytes ?? Math.max(MIN_PART_BYTES, multipartThreshold);
  const capabilities = { canPresign: storeMode(env) === "presigned" };
  const transport = new S3Transport({
    endpoint: env.S3_ENDPOINT,
    bucket: env.S3_BUCKET,
    region: env.S3_REGION || "us-east-1",
    pathStyle: env.S3_FORCE_PATH_STYLE?.toLowerCase() === "true",
    accessKeyId: env.S3_ACCESS_KEY_ID,
    secretAccessKey: env.S3_SECRET_ACCESS_KEY,
    fetch: options.fetch ?? ((request) => fetch(request)),
    timeoutMs: options.timeoutMs ?? 15_000,
    retries: options.retries ?? 1,
    now,
  });

  const requirePresign = (seconds: number) => {
    if (!capabilities.canPresign) throw new Error("this object store cannot presign (S3_MODE=network-volume)");
    if (!Number.isInteger(seconds) || seconds < 1 || seconds > MAX_PRESIGN_SECONDS) {
      throw new RangeError(`presigned URLs live 1 to ${MAX_PRESIGN_SECONDS} whole seconds, not ${seconds}`);
    }
  };

  const put = async (key: string, body: ObjectBytes, contentType: string) => {
    const response = await transport.send("PUT", key, { body: toBytes(body), headers: { "content-type": contentType } });
    if (!response.ok) throw await rejected(response, `PUT ${key}`);
    await response.body?.cancel();
  };

  const remove = async (key: string) => {
    const response = await transport.send("DELETE", key);
    if (!response.ok && response.status !== 404) throw await rejected(response, `DELETE ${key}`);
    await response.body?.cancel();
  };

  const copy = async (from: string, to: string) => {
    const response = await transport.send("PUT", to, { headers: { "x-amz-copy-source": transport.copySource(from) } });
    if (!response.ok) throw await rejected(response, `CopyObject ${from} to ${to}`);
    // S3 may answer 200 and put the failure in the body.
    const body = await response.text();
    if (/<Error>/.test(body)) throw new StoreRejectedError(200, `CopyObject ${from} to ${to}: ${/<Code>([^<]*)<\/Code>/.exec(body)?.[1] ?? "failed"}`);
  };

  const putMultipart = (key: string, body: ObjectBytes, contentType: string) =>
    multipartUpload(transport, key, toBytes(body), contentType, partBytes);

  return {
    capabilities,

    async presignPut(key, { contentType, contentLength, expiresInSeconds = DEFAULT_PRESIGN_SECONDS }) {
      requirePresign(expiresInSeconds);
      const headers: Record<string, string> = { "content-type": contentType };
      if (contentLength !== undefined) headers["content-length"] = String(contentLength);
      // SigV4 dates have whole seconds; expiresAt must not promise more than the store allows.
      const signedAt = Math.floor(now() / 1000) * 1000;
      const url = await transport.presign("PUT", key, { expiresInSeconds, signedAt, headers });
      return { url, headers, expiresAt: new Date(signedAt + expiresInSeconds * 1000).toISOString() };
    },

    async presignGet(key, { expiresInSeconds = DEFAULT_PRESIGN_SECONDS } = {}) {
      requirePresign(expiresInSeconds);
      return transport.presign("GET", key, { expiresInSeconds, signedAt: now() });
    },

    async head(key) {
      const response = await transport.send("HEAD", key);
      if (response.status === 404) return null;
      if (!response.ok) throw await rejected(response, `HEAD ${key}`);
      const size = Number(response.headers.get("content-length"));
      if (!Number.isSafeInteger(size)) throw new Error(`HEAD ${key}: the answer carries no Content-Length`);
      const etag = response.headers.get("etag");
      return { size, contentType: response.headers.get("content-type"), etag: etag ? etag.replace(/^(W\/)?"|"$/g, "") : null };
    },

    put,
    putMultipart,

    // Stores keep what arrived of a PUT cut short (s3rver and versitygw both do), so the bytes go to
    // a staging key and reach `key` by a server-side copy only once all of them are there.
    async putStream(key, body, { contentType, contentLength }) {
      const staging = stagingKey(key);
      const sized = sizedBody(body, contentLength);
      try {
        const response = await transport.send("PUT", staging, {
          body: sized.stream, headers: { "content-type": contentType }, timeoutMs: null, signal: sized.signal,
        });
        if (!response.ok) throw await rejected(response, `PUT ${staging}`);
        await response.body?.cancel();
        await copy(staging, key);
      } catch (error) {
        // A body that failed aborted the PUT: its own failure says what went wrong.
        throw sized.failure() ?? error;
      } finally {
        sized.stop();
        await remove(staging).catch(() => undefined);
      }
    },

    copy,
    delete: remove,

    async upload(key, body, contentType) {
      const size = body.byteLength;
      if (size > multipartThreshold) await putMultipart(key, body, contentType);
      else await put(key, body, contentType);
    },

    async get(key, init = {}) {
      const response = await transport.send("GET", key, { headers: init.headers });
      if (response.ok || PASSED_THROUGH_GET_STATUSES.has(response.status)) return response;
      throw await rejected(response, `GET ${key}`);
    },
  };
}

function toBytes(body: ObjectBytes): Uint8Array {
  return body instanceof Uint8Array ? body : new Uint8Array(body);
}
