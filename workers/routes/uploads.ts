import { OpenAPIHono, createRoute } from "@hono/zod-openapi";
import { z } from "zod";
import { CreateUploadRequest, Upload } from "../../schema/contract/index.js";
import type { AppEnv } from "../env.js";
import { requireApiKey } from "../middleware/auth.js";
import { validationHook } from "../middleware/validation.js";
import { receiveUpload } from "../uploads/receive-upload.js";
import { uploadTarget } from "../uploads/upload-target.js";
import { errors, json } from "./openapi-common.js";

const uploads = new OpenAPIHono<AppEnv>({ defaultHook: validationHook });

const create = createRoute({
  method: "post",
  path: "/",
  security: [{ apiKey: [] }],
  middleware: [requireApiKey] as const,
  summary: "Where to PUT an input image (style and content images of a style transfer), its type and exact size signed in",
  request: { body: { required: true, content: { "application/json": { schema: CreateUploadRequest } } } },
  responses: { 201: json(Upload, "PUT exactly contentLength bytes to url with these headers before expiresAt"), ...errors(400, 401, 413, 415, 503) },
});

uploads.openapi(create, async (c) => {
  const caller = { owner: c.get("owner"), apiKeyId: c.get("apiKeyId") };
  return c.json(await uploadTarget(c.env, caller, c.req.valid("json")), 201);
});

const receive = createRoute({
  method: "put",
  path: "/{owner}/{file}",
  summary: "The upload URL POST /api/uploads gives when the store cannot presign: streams the image to the bucket",
  description: "The URL is the credential (no API key): it is signed for one key, content type, byte size and expiry.",
  request: {
    params: z.object({ owner: z.string().min(1).max(64), file: z.string().min(1).max(128) }),
    query: z.object({ expires: z.string().optional(), signature: z.string().optional() }),
  },
  responses: {
    200: json(z.object({ key: z.string(), size: z.number().int(), contentType: z.string() }), "stored"),
    ...errors(400, 403, 404, 413, 415, 503),
  },
});

uploads.openapi(receive, async (c) => {
  const { owner, file } = c.req.valid("param");
  const { expires, signature } = c.req.valid("query");
  const stored = await receiveUpload(c.env, {
    owner,
    file,
    expires,
    signature,
    contentType: c.req.header("content-type"),
    contentLength: c.req.header("content-length"),
    body: c.req.raw.body,
  });
  return c.json(stored, 200);
});

export default uploads;
