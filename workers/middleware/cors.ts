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
  // PUT: the Worker's upload route, the URL a browser is given when the store cannot presign.
  allowMethods: ["GET", "HEAD", "POST", "PUT", "DELETE"],
  allowHeaders: ["authorization", "content-type", "idempotency-key", "last-event-id", "prefer", "x-request-id"],
  exposeHeaders: ["x-request-id", "retry-after", "idempotent-replayed", "preference-applied"],
  maxAge: 600,
});
