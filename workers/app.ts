import { OpenAPIHono } from "@hono/zod-openapi";
import { swaggerUI } from "@hono/swagger-ui";
import type { Context, MiddlewareHandler } from "hono";
import { HTTPException } from "hono/http-exception";
import { createMiddleware } from "hono/factory";
import { methodNotAllowed } from "hono/method-not-allowed";
import { requestId } from "hono/request-id";
import { ConfigurationError, settings, type AppEnv } from "./env.js";
import { ApiError } from "./errors.js";
import { limitBody, requireJsonBody } from "./middleware/body.js";
import { corsForConfiguredOrigins } from "./middleware/cors.js";
import { validationHook } from "./middleware/validation.js";
import { StoreRejectedError, StoreUnavailableError } from "./services/storage.js";
import { UPLOAD_ROUTE_PREFIX } from "./uploads/upload-url.js";
import admin from "./routes/admin.js";
import events from "./routes/events.js";
import images from "./routes/images.js";
import jobs from "./routes/jobs.js";
import keys from "./routes/keys.js";
import uploads from "./routes/uploads.js";
import webhookSecret from "./routes/webhook-secret.js";
import webhooks from "./routes/webhooks.js";

const API_BODY_LIMIT = 64 * 1024;
// The Worker's upload route takes image bytes, and bounds them itself (MAX_IMAGE_BYTES, streamed).
const isUploadBody = (c: Context) => c.req.method === "PUT" && c.req.path.startsWith(UPLOAD_ROUTE_PREFIX);
// hono/combine's except() composes its middleware anew on every request, webhooks included.
const unlessUploadBody = (middleware: MiddlewareHandler<AppEnv>): MiddlewareHandler<AppEnv> =>
  (c, next) => (isUploadBody(c) ? next() : middleware(c, next));

export function createApp() {
  const app = new OpenAPIHono<AppEnv>({ defaultHook: validationHook });

  // A request id on every response: the caller's x-request-id when sane, a new one otherwise.
  app.use(requestId({ headerName: "x-request-id", limitLength: 128 }));
  app.use("*", requireValidConfiguration);
  // The handler's webhooks, the hot path, are mounted before what browsers and API clients need
  // (CORS, the API's body rules, 405s): their routes take JSON, and read and bound it themselves.
  app.route("/api/webhooks", webhooks);
  app.use(methodNotAllowed({ app, onMethodNotAllowed: (c, methods) => c.json(new ApiError("method_not_allowed", `use ${methods.join(", ")}`).toJSON(), 405, { allow: methods.join(", ") }) }));
  app.use("/api/*", corsForConfiguredOrigins);
  app.use("/api/*", unlessUploadBody(requireJsonBody));
  app.use("/api/jobs/*", limitBody(API_BODY_LIMIT));
  app.use("/api/uploads/*", unlessUploadBody(limitBody(API_BODY_LIMIT)));
  app.use("/api/admin/*", limitBody(API_BODY_LIMIT));

  app.route("/api/jobs", events);
  app.route("/api/jobs", jobs);
  app.route("/api/uploads", uploads);
  app.route("/api/images", images);
  app.route("/api/keys", keys);
  app.route("/api/webhooks", webhookSecret);
  app.route("/api/admin", admin);

  app.get("/health", (c) => c.json({ ok: true }));
  app.openAPIRegistry.registerComponent("securitySchemes", "apiKey", { type: "http", scheme: "bearer", description: "easel_sk_… API key" });
  app.openAPIRegistry.registerComponent("securitySchemes", "adminToken", { type: "http", scheme: "bearer", description: "ADMIN_TOKEN" });
  app.doc31("/openapi.json", {
    openapi: "3.1.0",
    info: { title: "Easel", version: "1.0.0", description: "AI image jobs on RunPod; images in an S3-compatible bucket, metadata in D1." },
  });
  app.get("/docs", swaggerUI({ url: "/openapi.json" }));

  // Answered, not thrown: methodNotAllowed turns a 404 of a known path into a 405.
  app.notFound((c) => c.json(new ApiError("not_found", "no such route").toJSON(), 404));
  app.onError((err, c) => {
    if (err instanceof ApiError) return c.json(err.toJSON(), err.status, err.headers);
    if (err instanceof ConfigurationError) return c.json(new ApiError("unavailable", err.message).toJSON(), 503);
    if (err instanceof StoreUnavailableError) {
      console.error(err.message);
      return c.json(new ApiError("unavailable", "the object store is unavailable; try again").toJSON(), 503);
    }
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

/** Every request, /health included, answers 503 naming the variable while the configuration is invalid. */
const requireValidConfiguration = createMiddleware<AppEnv>(async (c, next) => {
  settings(c.env);
  await next();
});
