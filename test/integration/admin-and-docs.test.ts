import { describe, expect, it } from "vitest";
import { api, bearer, postJson } from "../helpers/api.js";

describe("POST /api/admin/keys", () => {
  it("creates a key shown once that authenticates its owner", async () => {
    const response = await postJson("/api/admin/keys", { owner: "admin_owner" }, bearer("test-admin-token"));
    expect(response.status).toBe(201);
    const created = (await response.json()) as { id: string; owner: string; key: string };
    expect(created).toMatchObject({ owner: "admin_owner", key: expect.stringMatching(/^easel_sk_/) });
    expect((await api("/api/jobs", { headers: bearer(created.key) })).status).toBe(200);
  });

  it("refuses a missing or wrong admin token and a bad owner", async () => {
    expect((await postJson("/api/admin/keys", { owner: "x" })).status).toBe(401);
    expect((await postJson("/api/admin/keys", { owner: "x" }, bearer("wrong"))).status).toBe(403);
    const bad = await postJson("/api/admin/keys", { owner: "../etc" }, bearer("test-admin-token"));
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: { details: { path: string }[] } }).error.details[0]!.path).toBe("owner");
    expect((await api("/api/admin/storage-report", { headers: bearer("wrong") })).status).toBe(403);
  });
});

describe("GET /openapi.json and /docs", () => {
  it("describes every route of the design from the same zod schemas", async () => {
    const spec = (await (await api("/openapi.json")).json()) as { openapi: string; paths: Record<string, Record<string, unknown>> };
    expect(spec.openapi).toBe("3.1.0");
    const routes = Object.entries(spec.paths).flatMap(([path, methods]) => Object.keys(methods).map((method) => `${method.toUpperCase()} ${path}`));
    expect(routes).toEqual(
      expect.arrayContaining([
        "POST /api/jobs", "GET /api/jobs", "GET /api/jobs/{id}", "POST /api/jobs/{id}/cancel",
        "POST /api/uploads", "GET /api/images/{id}", "POST /api/images/save",
        "POST /api/webhooks/generation/{jobId}", "POST /api/webhooks/runpod/{jobId}",
        "POST /api/admin/keys", "GET /api/admin/storage-report",
      ]),
    );
    const docs = await api("/docs");
    expect(docs.status).toBe(200);
    expect(await docs.text()).toContain("/openapi.json");
  });

  it("answers an unknown route with the JSON error shape", async () => {
    const response = await api("/api/nothing-here");
    expect(response.status).toBe(404);
    expect(await response.json()).toEqual({ error: { code: "not_found", message: "no such route" } });
  });
});
