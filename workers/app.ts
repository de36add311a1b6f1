import { OpenAPIHono } from "@hono/zod-openapi";
import { swaggerUI } from "@hono/swagger-ui";
import type { AppEnv } from "./env.js";
import { ApiError } from "./errors.js";
import { validationHook } from "./middleware/validation.js";

export function createApp() {
  const app = new OpenAPIHono<AppEnv>({ defaultHook: validationHook });

  app.get("/health", (c) => c.json({ ok: true }));

  app.doc31("/openapi.json", {
    openapi: "3.1.0",
    info: { title: "Easel", version: "1.0.0", description: "AI image jobs on RunPod, images in an S3-compatible bucket." },
  });
  app.get("/docs", swaggerUI({ url: "/openapi.json" }));

  app.notFound(() => {
    throw new ApiError("not_found", "no such route");
  });
  app.onError((err, c) => {
    if (err instanceof ApiError) return c.json(err.toJSON(), err.status);
    console.error("unhandled error", err);
    return c.json(new ApiError("internal", "internal error").toJSON(), 500);
  });
  return app;
}
