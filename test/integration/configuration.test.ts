import { env } from "cloudflare:workers";
import { createExecutionContext } from "cloudflare:test";
import { afterEach, describe, expect, it, vi } from "vitest";
import { createApp } from "../../workers/app.js";
import { StoreUnavailableError } from "../../workers/services/storage.js";
import { BASE } from "../helpers/api.js";

/** The app under a deployment's configuration: production unless ENVIRONMENT says local. */
function appWith(overrides: Record<string, string | undefined>, path = "/health") {
  const production = { ENVIRONMENT: undefined, PUBLIC_BASE_URL: "https://easel.example.com", S3_ENDPOINT: "https://s3.example.com", RUNPOD_API_BASE: "https://api.runpod.ai" };
  const configured = { ...env, ...production, ...overrides };
  return createApp().fetch(new Request(`${BASE}${path}`), configured as unknown as Env, createExecutionContext());
}

async function refusal(response: Response) {
  expect(response.status).toBe(503);
  return ((await response.json()) as { error: { code: string; message: string } }).error;
}

afterEach(() => vi.restoreAllMocks());

describe("configuration checked at the first request", () => {
  it("answers 503 naming a URL that points at this machine outside a local run, and logs it", async () => {
    const log = vi.spyOn(console, "error").mockImplementation(() => undefined);
    const error = await refusal(await appWith({ PUBLIC_BASE_URL: "http://127.0.0.1:8787", S3_ENDPOINT: "http://localhost:4568" }));
    expect(error.code).toBe("unavailable");
    expect(error.message).toMatch(/PUBLIC_BASE_URL points at this machine/);
    expect(error.message).toMatch(/S3_ENDPOINT points at this machine/);
    expect(log).toHaveBeenCalledWith(expect.stringMatching(/PUBLIC_BASE_URL/));
  });

  it("answers 503 naming each missing or malformed variable, every route alike", async () => {
    vi.spyOn(console, "error").mockImplementation(() => undefined);
    const error = await refusal(await appWith({ PUBLIC_BASE_URL: "", S3_BUCKET: undefined, JOB_TIMEOUT_SECONDS: "soon" }, "/api/jobs"));
    expect(error.message).toMatch(/PUBLIC_BASE_URL is not set/);
    expect(error.message).toMatch(/S3_BUCKET is not set/);
    expect(error.message).toMatch(/JOB_TIMEOUT_SECONDS is not a number/);
  });

  it("names a secret that is wrong without showing its value", async () => {
    vi.spyOn(console, "error").mockImplementation(() => undefined);
    const error = await refusal(await appWith({ WEBHOOK_SIGNING_KEY: "short-secret" }));
    expect(error.message).toMatch(/WEBHOOK_SIGNING_KEY is shorter than 16 characters/);
    expect(error.message).not.toContain("short-secret");
  });

  it("serves a valid production configuration, and loopback URLs only in a local run", async () => {
    expect((await appWith({})).status).toBe(200);
    expect((await appWith({ ENVIRONMENT: "local", PUBLIC_BASE_URL: "http://127.0.0.1:8787" })).status).toBe(200);
  });
});

describe("errors a client sees", () => {
  it("renders an unavailable store as 503 without the object key it was reaching", async () => {
    vi.spyOn(console, "error").mockImplementation(() => undefined);
    const app = createApp();
    app.get("/api/store-down", () => {
      throw new StoreUnavailableError("HEAD jobs/acme/job_123/0.png: answered 500");
    });
    const response = await app.fetch(new Request(`${BASE}/api/store-down`), env, createExecutionContext());
    const error = await refusal(response);
    expect(error).toEqual({ code: "unavailable", message: "the object store is unavailable; try again" });
  });
});
