import { createMiddleware } from "hono/factory";
import { bodyLimit } from "hono/body-limit";
import { settings, type AppEnv, type Settings } from "../env.js";
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

const tooLarge = (maxSize: number) => new ApiError("payload_too_large", `request body exceeds ${maxSize} bytes`);

export const limitBody = (maxSize: number) =>
  bodyLimit({
    maxSize,
    onError: () => {
      throw tooLarge(maxSize);
    },
  });

/** A body that carries one legacy image as base64: a third larger than the image, plus its envelope. */
export const legacyImageBodyBytes = (limits: Pick<Settings, "maxImageBytes">) => Math.ceil((limits.maxImageBytes * 4) / 3) + 64 * 1024;

/** `POST /api/images/save`, the one client route that may carry legacy bytes. */
export const limitSaveImageBody = createMiddleware<AppEnv>(async (c, next) => limitBody(legacyImageBodyBytes(settings(c.env)))(c, next));

/**
 * The request's raw bytes, refused with 413 past `maxBytes`: from Content-Length before anything
 * is read, and while reading when the length is absent. Held in one buffer.
 */
export async function readBodyWithin(request: Request, maxBytes: number): Promise<Uint8Array> {
  const declared = Number(request.headers.get("content-length") ?? Number.NaN);
  const known = Number.isSafeInteger(declared) && declared >= 0;
  if (known && declared > maxBytes) throw tooLarge(maxBytes);
  if (!request.body) return new Uint8Array();
  // HTTP framing holds a body to its Content-Length: read at once, then checked all the same.
  if (known) {
    const bytes = new Uint8Array(await request.arrayBuffer());
    if (bytes.byteLength > maxBytes) throw tooLarge(maxBytes);
    return bytes;
  }
  let bytes = new Uint8Array(Math.min(maxBytes, 64 * 1024));
  let length = 0;
  const reader = request.body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    if (length + value.byteLength > maxBytes) {
      await reader.cancel();
      throw tooLarge(maxBytes);
    }
    if (length + value.byteLength > bytes.byteLength) {
      const grown = new Uint8Array(Math.min(maxBytes, Math.max(bytes.byteLength * 2, length + value.byteLength)));
      grown.set(bytes.subarray(0, length));
      bytes = grown;
    }
    bytes.set(value, length);
    length += value.byteLength;
  }
  return bytes.subarray(0, length);
}
