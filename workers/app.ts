import { OpenAPIHono } from "@hono/zod-openapi";
import { swaggerUI } from "@hono/swagger-ui";
import type { Context } from "hono";
import { except } from "hono/combine";
import { HTTPException } from "hono/http-exception";
import type { AppEnv } from "./env.js";
import { ApiError } from "./errors.js";
import { limitBody, limitLegacyBody, requireJsonBody } from "./middleware/body.js";
import { validationHook } from "./middleware/validation.js";
import { StoreRejectedError } from "./services/storage.js";
import { UPLOAD_ROUTE_PREFIX } from "./uploads/upload-url.js";
import admin from "./routes/admin.js";
import events from "./routes/events.js";
import images from "./routes/images.js";
import jobs from "./routes/jobs.js";
import uploads from "./routes/uploads.js";
import webhooks from "./routes/webhooks.js";

const API_BODY_LIMIT = 64 * 1024;
// The Worker's upload route takes image bytes, and bounds them itself (MAX_IMAGE_BYTES, streamed).
const isUploadBody = (c: Context) => c.req.method === "PUT" && c.req.path.startsWith(UPLOAD_ROUTE_PREFIX);

export function createApp() {
  const app = new OpenAPIHono<AppEnv>({ defaultHook: validationHook });

  app.use("/api/*", except(isUploadBody, requireJsonBody));
  app.use("/api/jobs/*", limitBody(API_BODY_LIMIT));
  app.use("/api/uploads/*", except(isUploadBody, limitBody(API_BODY_LIMIT)));
  app.use("/api/admin/*", limitBody(API_BODY_LIMIT));
  app.use("/api/images/*", limitLegacyBody);

  app.route("/api/jobs", events);
  app.route("/api/jobs", jobs);
  app.route("/api/uploads", uploads);
  app.route("/api/images", images);
  app.route("/api/webhooks", webhooks);
  app.route("/api/admin", admin);

  app.get("/health", (c) => c.json({ ok: true }));
  app.openAPIRegistry.registerComponent("securitySchemes", "apiKey", { type: "http", scheme: "bearer", description: "easel_sk_… API key" });
  app.openAPIRegistry.registerComponent("securitySchemes", "adminToken", { type: "http", scheme: "bearer", description: "ADMIN_TOKEN" });
  app.doc31("/openapi.json", {
    openapi: "3.1.0",
    info: { title: "Easel", version: "1.0.0", description: "AI image jobs on RunPod; images in an S3-compatible bucket, metadata in D1." },
  });
  app.get("/docs", swaggerUI({ url: "/openapi.json" }));

  app.notFound(() => {
    throw new ApiError("not_found", "no such route");
  });
  app.onError((err, c) => {
    if (err instanceof ApiError) return c.json(err.toJSON(), err.status);
    if (err instanceof StoreRejectedError) {
      console.error("object store refused a request", err);
      return c.json(new ApiError("unavailable", "the object store refused the request; check its configuration").toJSON(), 503);
    }
    if (err instanceof HTTPException && err.status < 500) {
      const code = err.status === 413 ? "payload_too_large" : err.status === 401 ? "unauthorized" : "bad_request";
      const error = new ApiError(code, err.message || "bad request");
      return c.json(error.toJSON(), error.status);
    }
    console.error("unhandled error", err);
    return c.json(new ApiError("internal", "internal error").toJSON(), 500);
  });
  return app;
}
