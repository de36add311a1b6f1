import { OpenAPIHono, createRoute } from "@hono/zod-openapi";
import { z } from "zod";
import { and, eq } from "drizzle-orm";
import { SaveImageRequest, SaveImageResult } from "../../schema/contract/index.js";
import { images, jobs } from "../../schema/d1.js";
import { database } from "../db.js";
import { settings, type AppEnv } from "../env.js";
import { ApiError, notFound } from "../errors.js";
import { saveImage } from "../jobs/save-image.js";
import { authenticateApiKey, requireApiKey } from "../middleware/auth.js";
import { limitSaveImageBody } from "../middleware/body.js";
import { validationHook } from "../middleware/validation.js";
import { streamImage } from "../services/image-stream.js";
import { verifyImageUrl } from "../services/image-url-signature.js";
import { createObjectStore } from "../services/storage.js";
import { IdParam, errors, json } from "./openapi-common.js";

const imageRoutes = new OpenAPIHono<AppEnv>({ defaultHook: validationHook });

const save = createRoute({
  method: "post",
  path: "/save",
  security: [{ apiKey: [] }],
  // Its own body limit (the legacy base64 fallback), as route middleware: a path-level use() beside
  // GET /api/images/:id would push Hono off its RegExpRouter onto the slower trie for every route.
  middleware: [limitSaveImageBody, requireApiKey] as const,
  summary: "Save one delivered image (the legacy front end's route, docs/legacy-formats.md): S3 key first, bytes only as a fallback that goes to the bucket",
  request: { body: { required: true, content: { "application/json": { schema: SaveImageRequest } } } },
  responses: {
    200: json(SaveImageResult, "recorded (or already recorded)"),
    202: json(SaveImageResult, "kept: the bucket or D1 failed for now; retried"),
    ...errors(400, 401, 404, 409, 413, 415, 422),
  },
});

imageRoutes.openapi(save, async (c) => {
  const request = c.req.valid("json");
  const { outcome, storedAs } = await saveImage(c.env, c.get("owner"), request);
  const body = { jobId: request.jobId, index: request.index, storedAs, result: outcome.result };
  return outcome.result === "kept" ? c.json(body, 202) : c.json(body, 200);
});

const show = createRoute({
  method: "get",
  path: "/{id}",
  security: [{ apiKey: [] }],
  summary: "The image: a redirect to a short-lived presigned GET, or the bytes when the store cannot presign (then also reachable with the signed URL a job view gives)",
  request: { params: IdParam, query: z.object({ expires: z.string().optional(), signature: z.string().optional() }) },
  responses: { 302: { description: "redirect to a presigned GET" }, 200: { description: "the image bytes" }, ...errors(401, 404, 503) },
});

imageRoutes.openapi(show, async (c) => {
  const { id } = c.req.valid("param");
  const { expires, signature } = c.req.valid("query");
  // A signed display URL (stores that cannot presign; an <img> sends no header) stands in for the key.
  let owner: string | null = null;
  if (signature === undefined) owner = (await authenticateApiKey(c.env, c.req.header("authorization"))).owner;
  else if (!expires || !(await verifyImageUrl(c.env.WEBHOOK_SIGNING_KEY, id, expires, signature))) {
    throw new ApiError("unauthorized", "the image URL's signature is invalid or has expired");
  }
  const [image] = await database(c.env)
    .select({ key: images.key, contentType: images.contentType })
    .from(images)
    .innerJoin(jobs, eq(jobs.id, images.jobId))
    .where(and(eq(images.id, id), owner === null ? undefined : eq(jobs.owner, owner)));
  if (!image) throw notFound("image");
  const store = createObjectStore(c.env);
  if (store.capabilities.canPresign) {
    return c.redirect(await store.presignGet(image.key, { expiresInSeconds: settings(c.env).displayUrlSeconds }), 302);
  }
  return streamImage(store, { id, ...image }, (promise) => c.executionCtx.waitUntil(promise));
});

export default imageRoutes;
