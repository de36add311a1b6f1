import { readEvents, type ServerSentEvent } from "./sse.js";

/** The parts of Easel's API the local stack's scripts and end-to-end tests use. */

export type JobImage = { id: string; index: number; key: string; url: string; size: number; contentType: string; width: number | null; height: number | null };
export type Job = {
  id: string;
  type: string;
  status: string;
  progress: number;
  error: string | null;
  input: Record<string, unknown>;
  images: JobImage[];
  createdAt: string;
  updatedAt: string;
  completedAt: string | null;
};
export type Upload = { key: string; url: string; method: string; headers: Record<string, string>; expiresAt: string };
export type StorageFigures = { images: number; s3Only: number; bytesInD1: number; rate: number; metadataBytesPerImage: number };
export type StorageReport = { overall: StorageFigures; byType: Record<string, StorageFigures> };
export type JobEvent = ServerSentEvent & { seq: number | null; payload: Record<string, unknown> };

export class EaselApiError extends Error {
  override name = "EaselApiError";
  constructor(
    readonly status: number,
    readonly body: string,
    what: string,
  ) {
    super(`${what} answered ${status}: ${body.slice(0, 500)}`);
  }
}

export class EaselClient {
  constructor(
    readonly baseUrl: string,
    private readonly apiKey?: string,
  ) {}

  withKey(apiKey: string): EaselClient {
    return new EaselClient(this.baseUrl, apiKey);
  }

  private async call<T>(method: string, path: string, options: { body?: unknown; token?: string; expect?: number } = {}): Promise<T> {
    const token = options.token ?? this.apiKey;
    const response = await fetch(`${this.baseUrl}${path}`, {
      method,
      headers: {
        ...(token ? { authorization: `Bearer ${token}` } : {}),
        ...(options.body === undefined ? {} : { "content-type": "application/json" }),
      },
      body: options.body === undefined ? undefined : JSON.stringify(options.body),
    });
    const text = await response.text();
    if (response.status !== (options.expect ?? 200)) throw new EaselApiError(response.status, text, `${method} ${path}`);
    return JSON.parse(text) as T;
  }

  createApiKey(adminToken: string, owner: string) {
    return this.call<{ id: string; owner: string; key: string }>("POST", "/api/admin/keys", { body: { owner }, token: adminToken, expect: 201 });
  }

  storageReport(adminToken: string) {
    return this.call<StorageReport>("GET", "/api/admin/storage-report", { token: adminToken });
  }

  createJob(request: { type: string; input: Record<string, unknown> }) {
    return this.call<Job>("POST", "/api/jobs", { body: request, expect: 202 });
  }

  getJob(id: string) {
    return this.call<Job>("GET", `/api/jobs/${id}`);
  }

  listJobs(query = "") {
    return this.call<{ jobs: Job[]; nextCursor: string | null }>("GET", `/api/jobs${query}`);
  }

  cancelJob(id: string) {
    return this.call<Job>("POST", `/api/jobs/${id}/cancel`);
  }

  /** Where to PUT an input image of this type and exact size (`POST /api/uploads`). */
  askUpload(contentType: string, contentLength: number) {
    return this.call<Upload>("POST", "/api/uploads", { body: { contentType, contentLength }, expect: 201 });
  }

  /**
   * Asks where to put the bytes, then PUTs them there (a presigned URL of the bucket, or the
   * Worker's own upload route when the store cannot presign); returns the key.
   */
  async upload(bytes: Uint8Array<ArrayBuffer>, contentType: string): Promise<string> {
    const upload = await this.askUpload(contentType, bytes.byteLength);
    const put = await fetch(upload.url, { method: upload.method, headers: upload.headers, body: bytes });
    if (!put.ok) throw new EaselApiError(put.status, await put.text(), "PUT to the upload URL");
    return upload.key;
  }

  /** The job's live events until the stream closes (after its final `end` event). */
  async *events(jobId: string, lastEventId?: number, signal?: AbortSignal): AsyncGenerator<JobEvent> {
    const response = await fetch(`${this.baseUrl}/api/jobs/${jobId}/events`, {
      headers: {
        authorization: `Bearer ${this.apiKey}`,
        accept: "text/event-stream",
        ...(lastEventId === undefined ? {} : { "last-event-id": String(lastEventId) }),
      },
      signal,
    });
    // 204: the job ended and nothing follows lastEventId.
    if (response.status === 204) return;
    if (response.status !== 200 || !response.body) throw new EaselApiError(response.status, await response.text(), `GET /api/jobs/${jobId}/events`);
    for await (const event of readEvents(response.body)) {
      yield { ...event, seq: event.id === null ? null : Number(event.id), payload: JSON.parse(event.data) as Record<string, unknown> };
    }
  }
}
