import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import type { ApiKeyInfo, ApiKeyList, CreatedApiKey, UsageReport } from "../../schema/contract/index.js";
import { api, apiWith, bearer, createApiKey, createJob, postJson, textToImage } from "../helpers/api.js";

const ADMIN = bearer("test-admin-token");

async function newKey(body: Record<string, unknown>): Promise<CreatedApiKey> {
  const response = await postJson("/api/admin/keys", body, ADMIN);
  expect(response.status).toBe(201);
  return (await response.json()) as CreatedApiKey;
}

describe("POST /api/admin/keys", () => {
  it("creates a key shown once that authenticates its owner, with a name and an expiry", async () => {
    const created = await newKey({ owner: "admin_owner", name: "billing service", expiresAt: "2099-01-01T00:00:00Z" });
    expect(created).toMatchObject({ owner: "admin_owner", name: "billing service", key: expect.stringMatching(/^easel_sk_/), expiresAt: "2099-01-01T00:00:00.000Z", revokedAt: null });
    expect(created.prefix).toBe(created.key.slice(0, 14));
    expect((await api("/api/jobs", { headers: bearer(created.key) })).status).toBe(200);
  });

  it("refuses a missing or wrong admin token, a bad owner and an expiry in the past", async () => {
    expect((await postJson("/api/admin/keys", { owner: "x" })).status).toBe(401);
    expect((await postJson("/api/admin/keys", { owner: "x" }, bearer("wrong"))).status).toBe(403);
    const bad = await postJson("/api/admin/keys", { owner: "../etc" }, ADMIN);
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: { details: { path: string }[] } }).error.details[0]!.path).toBe("owner");
    const past = await postJson("/api/admin/keys", { owner: "admin_past", expiresAt: "2001-01-01T00:00:00Z" }, ADMIN);
    expect(past.status).toBe(400);
    expect(((await past.json()) as { error: { details: { path: string }[] } }).error.details[0]!.path).toBe("expiresAt");
    const listed = (await (await api("/api/admin/keys?owner=admin_past", { headers: ADMIN })).json()) as ApiKeyList;
    expect(listed.keys).toEqual([]);
    expect((await api("/api/admin/storage-report", { headers: bearer("wrong") })).status).toBe(403);
  });

  it("refuses a key once it has expired", async () => {
    const created = await newKey({ owner: "admin_expiring", expiresAt: new Date(Date.now() + 60_000).toISOString() });
    expect((await api("/api/jobs", { headers: bearer(created.key) })).status).toBe(200);
    await env.DB.prepare("UPDATE api_keys SET expires_at = ? WHERE id = ?").bind(Date.now() - 1, created.id).run();
    expect((await api("/api/jobs", { headers: bearer(created.key) })).status).toBe(401);
  });
});

describe("GET /api/admin/keys and DELETE /api/admin/keys/:id", () => {
  it("lists keys newest first, by owner, with pages, never the key itself", async () => {
    const made = [];
    for (const name of ["one", "two", "three"]) made.push(await newKey({ owner: "admin_list", name }));
    const first = (await (await api("/api/admin/keys?owner=admin_list&limit=2", { headers: ADMIN })).json()) as ApiKeyList;
    expect(first.keys.map((key) => key.name)).toEqual(["three", "two"]);
    const second = (await (await api(`/api/admin/keys?owner=admin_list&limit=2&cursor=${encodeURIComponent(first.nextCursor!)}`, { headers: ADMIN })).json()) as ApiKeyList;
    expect(second).toEqual({ keys: [expect.objectContaining({ id: made[0]!.id, name: "one" })], nextCursor: null });
    const text = JSON.stringify([first, second]);
    for (const key of made) expect(text).not.toContain(key.key);
    expect(Object.keys(first.keys[0]!).sort()).toEqual(["createdAt", "expiresAt", "id", "name", "owner", "prefix", "revokedAt"]);
    expect((await api("/api/admin/keys", { headers: bearer(made[0]!.key) })).status).toBe(403);
  });

  it("revokes a key: its very next request gets 401, other keys of the owner keep working", async () => {
    const revoked = await newKey({ owner: "admin_revoke" });
    const kept = await newKey({ owner: "admin_revoke" });
    expect((await api("/api/jobs", { headers: bearer(revoked.key) })).status).toBe(200);
    const response = await api(`/api/admin/keys/${revoked.id}`, { method: "DELETE", headers: ADMIN });
    expect(response.status).toBe(200);
    const info = (await response.json()) as ApiKeyInfo;
    expect(info).toMatchObject({ id: revoked.id, revokedAt: expect.any(String) });
    expect((await api("/api/jobs", { headers: bearer(revoked.key) })).status).toBe(401);
    expect((await postJson("/api/jobs", textToImage(), bearer(revoked.key))).status).toBe(401);
    expect((await api("/api/jobs", { headers: bearer(kept.key) })).status).toBe(200);
    const again = await api(`/api/admin/keys/${revoked.id}`, { method: "DELETE", headers: ADMIN });
    expect(((await again.json()) as ApiKeyInfo).revokedAt).toBe(info.revokedAt);
  });

  it("answers 404 for an unknown key and 401 without the admin token, changing nothing", async () => {
    expect((await api("/api/admin/keys/key_nothing", { method: "DELETE", headers: ADMIN })).status).toBe(404);
    const key = await newKey({ owner: "admin_revoke_denied" });
    expect((await api(`/api/admin/keys/${key.id}`, { method: "DELETE" })).status).toBe(401);
    expect((await api(`/api/admin/keys/${key.id}`, { method: "DELETE", headers: bearer(key.key) })).status).toBe(403);
    expect((await api("/api/jobs", { headers: bearer(key.key) })).status).toBe(200);
  });
});

describe("GET /api/keys/current", () => {
  it("shows the calling key's own metadata, never the key", async () => {
    const created = await newKey({ owner: "self_owner", name: "mobile app" });
    const response = await api("/api/keys/current", { headers: bearer(created.key) });
    expect(response.status).toBe(200);
    const { key: _secret, ...metadata } = created;
    expect(await response.json()).toEqual(metadata);
    expect((await api("/api/keys/current")).status).toBe(401);
  });
});

describe("GET /api/admin/usage", () => {
  it("sums jobs, images and run time per API key and per day", async () => {
    const owner = "usage_owner";
    const first = await newKey({ owner });
    const second = await newKey({ owner });
    const jobs = [await createJob(first.key, textToImage("u1", 1)), await createJob(first.key, textToImage("u2", 1)), await createJob(second.key, textToImage("u3", 1))];
    const day1 = Date.parse("2026-03-01T10:00:00Z");
    const day2 = Date.parse("2026-03-02T23:59:00Z");
    const times = [day1, day1 + 1000, day2];
    for (const [index, job] of jobs.entries()) {
      await env.DB.prepare("UPDATE jobs SET created_at = ?, started_at = ?, completed_at = ?, runpod_execution_ms = ? WHERE id = ?")
        .bind(times[index], times[index]! + 500, times[index]! + 2500, index === 0 ? 1800 : null, job.id).run();
    }
    await env.DB.prepare("INSERT INTO images (id, job_id, idx, key, size, content_type, source) VALUES (?, ?, 0, ?, 10, 'image/png', 'handler')")
      .bind(`img_usage_0`, jobs[0]!.id, `jobs/${owner}/${jobs[0]!.id}/0.png`).run();

    const response = await api(`/api/admin/usage?from=2026-03-01&to=2026-03-02&owner=${owner}`, { headers: ADMIN });
    expect(response.status).toBe(200);
    expect((await response.json()) as UsageReport).toEqual({
      from: "2026-03-01",
      to: "2026-03-02",
      usage: [
        { day: "2026-03-01", apiKeyId: first.id, owner, jobs: 2, images: 1, runMs: 4000, executionMs: 1800 },
        { day: "2026-03-02", apiKeyId: second.id, owner, jobs: 1, images: 0, runMs: 2000, executionMs: 0 },
      ],
    });
  });

  it("refuses a range that is backwards, too long or not dates", async () => {
    for (const query of ["from=2026-03-02&to=2026-03-01", "from=2020-01-01&to=2026-01-01", "from=March"]) {
      const response = await api(`/api/admin/usage?${query}`, { headers: ADMIN });
      expect(response.status, query).toBe(400);
    }
    expect((await api("/api/admin/usage")).status).toBe(401);
  });
});

describe("GET /openapi.json and /docs", () => {
  const spec = async () => (await (await api("/openapi.json")).json()) as {
    openapi: string;
    paths: Record<string, Record<string, { responses: Record<string, { content?: Record<string, { schema: unknown }> }> }>>;
    components: { schemas: Record<string, unknown> };
  };

  it("describes every route of the design from the same zod schemas", async () => {
    const document = await spec();
    expect(document.openapi).toBe("3.1.0");
    const routes = Object.entries(document.paths).flatMap(([path, methods]) => Object.keys(methods).map((method) => `${method.toUpperCase()} ${path}`));
    expect(routes).toEqual(
      expect.arrayContaining([
        "POST /api/jobs", "GET /api/jobs", "GET /api/jobs/{id}", "POST /api/jobs/{id}/cancel", "GET /api/jobs/{id}/events",
        "POST /api/uploads", "GET /api/images/{id}", "POST /api/images/save",
        "GET /api/webhooks/secret", "POST /api/webhooks/secret/rotate", "GET /api/keys/current",
        "POST /api/webhooks/generation/{jobId}", "POST /api/webhooks/runpod/{jobId}",
        "POST /api/admin/keys", "GET /api/admin/keys", "DELETE /api/admin/keys/{id}", "GET /api/admin/storage-report", "GET /api/admin/usage",
      ]),
    );
    const docs = await api("/docs");
    expect(docs.status).toBe(200);
    expect(await docs.text()).toContain("/openapi.json");
  });

  it("keeps the multiple-of-8 rule on width and height", async () => {
    const body = JSON.stringify((await spec()).paths["/api/jobs"]!.post!);
    expect(body.match(/"width":\{[^}]*"multipleOf":8/g)).toHaveLength(2);
    expect(body.match(/"height":\{[^}]*"multipleOf":8/g)).toHaveLength(2);
  });

  it("describes each live event's data as a component", async () => {
    const document = await spec();
    const stream = document.paths["/api/jobs/{id}/events"]!.get!.responses["200"]!.content!["text/event-stream"]!.schema as { anyOf: { properties: { event: { enum: string[] }; data: { contentSchema: { $ref: string } } } }[] };
    const byEvent: Record<string, string> = Object.fromEntries(stream.anyOf.map((variant) => [variant.properties.event.enum[0], variant.properties.data.contentSchema.$ref]));
    expect(byEvent).toEqual({
      progress: "#/components/schemas/JobProgressEvent", image: "#/components/schemas/JobImageEvent",
      image_rejected: "#/components/schemas/JobImageRejectedEvent", completed: "#/components/schemas/JobCompletedEvent",
      failed: "#/components/schemas/JobFailedEvent", canceled: "#/components/schemas/JobCanceledEvent",
      timed_out: "#/components/schemas/JobTimedOutEvent", end: "#/components/schemas/JobEndEvent",
    });
    for (const ref of Object.values(byEvent)) expect(document.components.schemas[ref.split("/").pop()!]).toBeDefined();
    expect(JSON.stringify(document.components.schemas.JobImageEvent)).toContain("sha256");
    expect(document.paths["/api/jobs/{id}/events"]!.get!.responses["204"]).toBeDefined();
  });

  it("answers an unknown route with the JSON error shape", async () => {
    const response = await api("/api/nothing-here");
    expect(response.status).toBe(404);
    expect(await response.json()).toEqual({ error: { code: "not_found", message: "no such route" } });
  });
});

describe("HTTP manners", () => {
  it("answers a wrong method with 405 and Allow, before asking for a key", async () => {
    for (const [method, path, allow] of [
      ["PUT", "/api/jobs", "POST, GET, HEAD"], ["DELETE", "/api/jobs/job_x", "GET, HEAD"], ["PATCH", "/api/admin/keys", "POST, GET, HEAD"], ["POST", "/api/keys/current", "GET, HEAD"],
    ] as const) {
      const response = await api(path, { method });
      expect(response.status, `${method} ${path}`).toBe(405);
      expect(response.headers.get("allow")?.split(", ").sort()).toEqual(allow.split(", ").sort());
      expect(((await response.json()) as { error: { code: string } }).error.code).toBe("method_not_allowed");
    }
  });

  it("puts a request id on every response, the caller's when it is sane", async () => {
    const mine = await api("/api/jobs", { headers: { "x-request-id": "trace-42_a" } });
    expect(mine.status).toBe(401);
    expect(mine.headers.get("x-request-id")).toBe("trace-42_a");
    for (const response of [await api("/health"), await api("/api/nothing"), await api("/api/jobs", { headers: { "x-request-id": "no spaces <allowed>" } })]) {
      expect(response.headers.get("x-request-id")).toMatch(/^[0-9a-f-]{36}$/);
    }
  });

  it("answers a CORS preflight from a configured origin without a key, and gives other origins nothing", async () => {
    const configured = { CORS_ORIGINS: "https://app.example.com, https://admin.example.com" };
    const preflight = (origin: string) =>
      apiWith(configured, "/api/jobs", { method: "OPTIONS", headers: { origin, "access-control-request-method": "POST", "access-control-request-headers": "authorization, content-type" } });
    const allowed = await preflight("https://app.example.com");
    expect(allowed.status).toBe(204);
    expect(allowed.headers.get("access-control-allow-origin")).toBe("https://app.example.com");
    expect(allowed.headers.get("access-control-allow-headers")).toContain("authorization");
    expect(allowed.headers.get("access-control-allow-methods")).toContain("POST");
    const other = await preflight("https://evil.example");
    expect(other.headers.get("access-control-allow-origin")).toBeNull();

    const key = await createApiKey("cors_owner");
    const call = await apiWith(configured, "/api/jobs", { headers: { origin: "https://admin.example.com", ...bearer(key) } });
    expect(call.status).toBe(200);
    expect(call.headers.get("access-control-allow-origin")).toBe("https://admin.example.com");
    expect(call.headers.get("access-control-expose-headers")).toContain("x-request-id");
    const unconfigured = await api("/api/jobs", { headers: { origin: "https://app.example.com", ...bearer(key) } });
    expect(unconfigured.headers.get("access-control-allow-origin")).toBeNull();
  });

  it("refuses a private webhook target in production, and records nothing", async () => {
    const key = await createApiKey("webhook_production");
    const body = JSON.stringify({ ...textToImage("x", 1), webhook: "https://169.254.169.254/latest" });
    // Production: no ENVIRONMENT, and no loopback URLs in the configuration (they would answer 503 first).
    const production = { ENVIRONMENT: undefined, S3_ENDPOINT: "https://s3.example.com", RUNPOD_API_BASE: "https://api.runpod.example.com" };
    const response = await apiWith(production, "/api/jobs", { method: "POST", headers: { ...bearer(key), "content-type": "application/json" }, body });
    expect(response.status).toBe(400);
    expect(((await response.json()) as { error: { details: { path: string }[] } }).error.details[0]!.path).toBe("webhook");
    expect(((await (await api("/api/jobs", { headers: bearer(key) })).json()) as { jobs: unknown[] }).jobs).toEqual([]);
  });
});
