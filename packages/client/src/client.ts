import { jobEvents, type EventsOptions } from "./events.js";
import { call, requireToken, type Transport } from "./http.js";
import { EaselError } from "./errors.js";
import { createUpload, uploadImage, type UploadSource, type UploadedImage } from "./uploads.js";
import { verifyWebhook, type WebhookHeaders } from "./webhooks.js";
import type {
  ApiKeyInfo, ApiKeyList, CreateApiKeyRequest, CreateJobInput, CreatedApiKey, CreateUploadRequest, Job, JobEvent, JobList, JobSummary,
  ListApiKeysQuery, ListJobsInput, StorageReport, Upload, UsageQuery, UsageReport,
} from "./types.js";

export type EaselClientOptions = {
  /** Where the API is, e.g. https://easel.example.com (no trailing /api). */
  baseUrl: string;
  /** An API key (`easel_sk_…`): jobs, uploads, events, the webhook secret. */
  apiKey?: string;
  /** The deployment's ADMIN_TOKEN: keys, storage report, usage. */
  adminToken?: string;
  /** Another fetch (a test's, a proxy's); the global one by default. */
  fetch?: typeof fetch;
};

export type CreateJobOptions = {
  idempotencyKey?: string;
  /** `Prefer: wait=N`: the answer comes once the job ended, or after N seconds (the server caps N). */
  wait?: number;
};

const encode = encodeURIComponent;

/** Easel's API, typed from its contract. */
export class EaselClient {
  private readonly transport: Transport;
  private readonly apiKey: string | undefined;
  private readonly adminToken: string | undefined;

  constructor(options: EaselClientOptions) {
    this.transport = { baseUrl: options.baseUrl.replace(/\/+$/, ""), fetch: options.fetch ?? ((input, init) => fetch(input, init)) };
    this.apiKey = options.apiKey;
    this.adminToken = options.adminToken;
  }

  private key(what: string) {
    return requireToken(this.apiKey, what);
  }

  private admin(what: string) {
    return requireToken(this.adminToken, `${what} (admin)`);
  }

  /** The bytes of a file path: only on Node (the `@easel/client` entry point there reads files). */
  protected readPath(path: string): Promise<Uint8Array> {
    return Promise.reject(new EaselError("unsupported_source", `uploads.upload(${JSON.stringify(path)}): file paths can be read on Node only; give the bytes, a Blob or a File`));
  }

  readonly jobs = {
    create: async (request: CreateJobInput, options: CreateJobOptions = {}): Promise<Job> => {
      const headers: Record<string, string> = {};
      if (options.idempotencyKey) headers["idempotency-key"] = options.idempotencyKey;
      if (options.wait !== undefined) headers.prefer = `wait=${Math.max(0, Math.floor(options.wait))}`;
      return call<Job>(this.transport, "/api/jobs", { method: "POST", token: this.key("jobs.create"), body: request, headers });
    },

    get: async (id: string): Promise<Job> => call<Job>(this.transport, `/api/jobs/${encode(id)}`, { token: this.key("jobs.get") }),

    /** One page of the caller's jobs, newest first. */
    page: async (query: ListJobsInput = {}): Promise<JobList> =>
      call<JobList>(this.transport, "/api/jobs", { token: this.key("jobs.list"), query }),

    /** Every job matching `query`, newest first, fetching page after page as the loop goes on. */
    list: (query: ListJobsInput = {}): AsyncIterable<JobSummary> => {
      const page = this.jobs.page;
      return {
        async *[Symbol.asyncIterator]() {
          let cursor = query.cursor;
          do {
            const result = await page({ ...query, cursor });
            yield* result.jobs;
            cursor = result.nextCursor ?? undefined;
          } while (cursor);
        },
      };
    },

    cancel: async (id: string): Promise<Job> =>
      call<Job>(this.transport, `/api/jobs/${encode(id)}/cancel`, { method: "POST", token: this.key("jobs.cancel") }),

    /** Live events until the job's `end`, resuming after a dropped connection. */
    events: (id: string, options: EventsOptions = {}): AsyncGenerator<JobEvent> => jobEvents(this.transport, this.key("jobs.events"), id, options),

    /** Follows the job's events to its end, then answers the job as it ended. */
    wait: async (id: string, options: { signal?: AbortSignal; onEvent?: (event: JobEvent) => void } = {}): Promise<Job> => {
      for await (const event of this.jobs.events(id, { signal: options.signal })) options.onEvent?.(event);
      return this.jobs.get(id);
    },
  };

  readonly uploads = {
    /** Uploads an input image (style or content of a style transfer); answers its key. */
    upload: (source: UploadSource, options: { contentType?: string } = {}): Promise<UploadedImage> =>
      uploadImage(this.transport, this.key("uploads.upload"), source, (path) => this.readPath(path), options.contentType),
    /** Only the first step of `upload`: where to PUT exactly `contentLength` bytes, and with which headers. */
    create: (request: CreateUploadRequest): Promise<Upload> => createUpload(this.transport, this.key("uploads.create"), request),
  };

  readonly webhooks = {
    /** The secret that signs Easel's webhooks to this key's jobs. */
    secret: async (): Promise<string> => (await call<{ key: string }>(this.transport, "/api/webhooks/secret", { token: this.key("webhooks.secret") })).key,
    rotateSecret: async (): Promise<string> =>
      (await call<{ key: string }>(this.transport, "/api/webhooks/secret/rotate", { method: "POST", token: this.key("webhooks.rotateSecret") })).key,
    verify: (headers: WebhookHeaders, body: string, secret: string): Job => verifyWebhook(headers, body, secret),
  };

  readonly keys = {
    /** The calling key's own metadata. */
    current: async (): Promise<ApiKeyInfo> => call<ApiKeyInfo>(this.transport, "/api/keys/current", { token: this.key("keys.current") }),
    create: async (request: CreateApiKeyRequest): Promise<CreatedApiKey> =>
      call<CreatedApiKey>(this.transport, "/api/admin/keys", { method: "POST", token: this.admin("keys.create"), body: request }),
    list: async (query: Partial<ListApiKeysQuery> = {}): Promise<ApiKeyList> =>
      call<ApiKeyList>(this.transport, "/api/admin/keys", { token: this.admin("keys.list"), query }),
    revoke: async (id: string): Promise<ApiKeyInfo> =>
      call<ApiKeyInfo>(this.transport, `/api/admin/keys/${encode(id)}`, { method: "DELETE", token: this.admin("keys.revoke") }),
  };

  readonly reports = {
    storage: async (): Promise<StorageReport> => call<StorageReport>(this.transport, "/api/admin/storage-report", { token: this.admin("reports.storage") }),
    usage: async (query: UsageQuery = {}): Promise<UsageReport> =>
      call<UsageReport>(this.transport, "/api/admin/usage", { token: this.admin("reports.usage"), query }),
  };
}
