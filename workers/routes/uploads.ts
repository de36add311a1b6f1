import { OpenAPIHono, createRoute } from "@hono/zod-openapi";
import { CreateUploadRequest, Upload } from "../../schema/contract/index.js";
import type { AppEnv } from "../env.js";
import { requireApiKey } from "../middleware/auth.js";
import { validationHook } from "../middleware/validation.js";
import { uploadKey } from "../services/object-keys.js";
import { cannotTakeInputs } from "../jobs/input-images.js";
import { createObjectStore } from "../services/storage.js";
import { errors, json } from "./openapi-common.js";

const UPLOAD_URL_SECONDS = 15 * 60;
const uploads = new OpenAPIHono<AppEnv>({ defaultHook: validationHook });
uploads.use("*", requireApiKey);

const create = createRoute({
  method: "post",
  path: "/",
  security: [{ apiKey: [] }],
  summary: "A presigned PUT for an input image (style and content images of a style transfer)",
  request: { body: { required: true, content: { "application/json": { schema: CreateUploadRequest } } } },
  responses: { 201: json(Upload, "PUT the image to url with these headers before expiresAt"), ...errors(400, 401, 415, 503) },
});

uploads.openapi(create, async (c) => {
  const { contentType } = c.req.valid("json");
  const key = uploadKey(c.get("owner"), contentType);
  const store = createObjectStore(c.env);
  if (!store.capabilities.canPresign) throw cannotTakeInputs();
  const upload = await store.presignPut(key, { contentType, expiresInSeconds: UPLOAD_URL_SECONDS });
  return c.json({ key, url: upload.url, method: "PUT" as const, headers: upload.headers, expiresAt: upload.expiresAt }, 201);
});

export default uploads;
