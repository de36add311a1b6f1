import { AwsClient } from "aws4fetch";

/**
 * The store did not answer usefully (5xx, 429, network error, timeout): worth retrying later.
 * Its message names the object key, so it is logged, never shown to a client as it is.
 */
export class StoreUnavailableError extends Error {
  override name = "StoreUnavailableError";

  constructor(message: string) {
    super(`object store unavailable: ${message}`);
  }
}

/** The store refused the request (403, 400, …): retrying will not help; configuration or a bug. */
export class StoreRejectedError extends Error {
  override name = "StoreRejectedError";

  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export type StoreFetch = (request: Request) => Promise<Response>;

export type TransportConfig = {
  endpoint: string;
  bucket: string;
  region: string;
  pathStyle: boolean;
  accessKeyId: string;
  secretAccessKey: string;
  fetch: StoreFetch;
  timeoutMs: number;
  retries: number;
  now: () => number;
};

export type SendInit = {
  query?: Record<string, string>;
  headers?: HeadersInit;
  /** A stream is sent once, never retried: it cannot be read twice. */
  body?: Uint8Array | ArrayBuffer | string | ReadableStream<Uint8Array>;
  /** Overrides the transport's wait for the response head; null waits as long as the body takes. */
  timeoutMs?: number | null;
  /** Aborts the request from outside (a streamed body that failed); not retried. */
  signal?: AbortSignal;
};

export type PresignInit = { expiresInSeconds: number; signedAt: number; headers?: Record<string, string> };

const RETRY_DELAY_MS = 100;

/** Signed requests to one bucket: addressing, SigV4 (header or query), timeout and a capped retry. */
export class S3Transport {
  private readonly client: AwsClient;

  constructor(private readonly config: TransportConfig) {
    // Retries are ours (send), so the client never runs its own 10-retry loop.
    this.client = new AwsClient({
      accessKeyId: config.accessKeyId,
      secretAccessKey: config.secretAccessKey,
      service: "s3",
      region: config.region,
      retries: 0,
    });
  }

  /** `{endpoint}/{bucket}/{key}` (path style) or `{scheme}://{bucket}.{host}/{key}` (virtual-hosted). */
  objectUrl(key: string, query: Record<string, string> = {}): URL {
    const endpoint = new URL(this.config.endpoint);
    const basePath = endpoint.pathname.replace(/\/+$/, "");
    const encodedKey = key.split("/").map(encodeSegment).join("/");
    const url = this.config.pathStyle
      ? new URL(`${endpoint.origin}${basePath}/${encodeSegment(this.config.bucket)}/${encodedKey}`)
      : new URL(`${endpoint.protocol}//${this.config.bucket}.${endpoint.host}${basePath}/${encodedKey}`);
    for (const [name, value] of Object.entries(query)) url.searchParams.set(name, value);
    return url;
  }

  /** The `x-amz-copy-source` value naming `key` in this bucket. */
  copySource(key: string): string {
    return `/${encodeSegment(this.config.bucket)}/${key.split("/").map(encodeSegment).join("/")}`;
  }

  /** A query-signed URL; every header passed is signed, so the caller must send exactly those. */
  async presign(method: "GET" | "PUT", key: string, presign: PresignInit): Promise<string> {
    const url = this.objectUrl(key, { "X-Amz-Expires": String(presign.expiresInSeconds) });
    const signed = await this.client.sign(url, {
      method,
      headers: presign.headers ?? {},
      aws: { signQuery: true, allHeaders: true, datetime: amzDate(presign.signedAt) },
    });
    return signed.url;
  }

  /**
   * Sends a header-signed request. Answers below 500 (except 429) come back as they are; the rest,
   * and network errors, are retried `retries` times and then thrown as StoreUnavailableError.
   */
  async send(method: string, key: string, init: SendInit = {}): Promise<Response> {
    const what = `${method} ${key}`;
    const retries = init.body instanceof ReadableStream ? 0 : this.config.retries;
    for (let attempt = 0; ; attempt++) {
      const outcome = await this.attempt(method, this.objectUrl(key, init.query), init);
      const retryable = outcome instanceof Response ? outcome.status >= 500 || outcome.status === 429 : outcome !== "timed out";
      if (outcome instanceof Response && !retryable) return outcome;
      if (outcome instanceof Response) await outcome.body?.cancel();
      if (!retryable || attempt >= retries) {
        throw new StoreUnavailableError(`${what}: ${outcome instanceof Response ? `answered ${outcome.status}` : outcome}`);
      }
      await new Promise((resolve) => setTimeout(resolve, RETRY_DELAY_MS * 2 ** attempt));
    }
  }

  // The timeout covers the wait for the response head only, so a long streamed body is not cut.
  private async attempt(method: string, url: URL, init: SendInit): Promise<Response | string> {
    const controller = new AbortController();
    const timeoutMs = init.timeoutMs === undefined ? this.config.timeoutMs : init.timeoutMs;
    const timer = timeoutMs === null ? undefined : setTimeout(() => controller.abort(), timeoutMs);
    try {
      const request = await this.client.sign(url, {
        method,
        headers: init.headers,
        body: init.body,
        signal: init.signal ? AbortSignal.any([controller.signal, init.signal]) : controller.signal,
        aws: { datetime: amzDate(this.config.now()) },
      });
      return await this.config.fetch(request);
    } catch (error) {
      if (controller.signal.aborted) return "timed out";
      return error instanceof Error ? error.message : String(error);
    } finally {
      if (timer !== undefined) clearTimeout(timer);
    }
  }
}

/** The rejection for an answer that is neither success nor "unavailable". */
export async function rejected(response: Response, what: string): Promise<StoreRejectedError> {
  const body = await response.text().catch(() => "");
  const code = /<Code>([^<]*)<\/Code>/.exec(body)?.[1];
  return new StoreRejectedError(response.status, `${what}: store answered ${response.status}${code ? ` ${code}` : ""}`);
}

function encodeSegment(segment: string): string {
  return encodeURIComponent(segment).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

function amzDate(epochMs: number): string {
  return new Date(epochMs).toISOString().replace(/[:-]|\.\d{3}/g, "");
}
