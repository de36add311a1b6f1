import { createMiddleware } from "hono/factory";
import { bodyLimit } from "hono/body-limit";
import type { AppEnv } from "../env.js";
import { settings } from "../env.js";
import { ApiError } from "../errors.js";

/** A request that sends a body must send JSON: anything else is 415 before it is read. */
export const requireJsonBody = createMiddleware<AppEnv>(async (c, next) => {
  const hasBody = c.req.header("content-length") !== "0" && (c.req.header("content-length") || c.req.header("transfer-encoding"));
  const type = c.req.header("content-type") ?? "";
  if (hasBody && !/^application\/([\w.+-]*\+)?json\b/i.test(type)) {
    throw new ApiError("unsupported_media_type", "send the body as application/json");
  }
  await next();
});

export const limitBody = (maxSize: number) =>
  bodyLimit({
    maxSize,
    onError: () => {
      throw new ApiError("payload_too_large", `request body exceeds ${maxSize} bytes`);
    },
  });

/** Routes that take legacy bytes: whole images as base64, a third larger than the image, plus the envelope. */
export const limitLegacyBody = createMiddleware<AppEnv>(async (c, next) =>
  limitBody(Math.ceil((settings(c.env).maxImageBytes * 4) / 3) + 64 * 1024)(c, next),
);
