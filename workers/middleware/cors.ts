import { cors } from "hono/cors";
import { settings } from "../env.js";

/**
 * CORS for the browser origins in `CORS_ORIGINS` ("*" for any): preflights are answered here,
 * before any key is asked for; other origins get no Access-Control-Allow-Origin.
 */
export const corsForConfiguredOrigins = cors({
  origin: (origin, c) => {
    const allowed = settings(c.env as Env).corsOrigins;
    return allowed.includes("*") || allowed.includes(origin) ? origin : null;
  },
  allowMethods: ["GET", "HEAD", "POST", "DELETE"],
  allowHeaders: ["authorization", "content-type", "idempotency-key", "last-event-id", "prefer", "x-request-id"],
  exposeHeaders: ["x-request-id", "retry-after", "idempotent-replayed", "preference-applied"],
  maxAge: 600,
});
