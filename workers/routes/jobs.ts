import { OpenAPIHono, createRoute } from "@hono/zod-openapi";
import { z } from "zod";
import { CreateJobRequest, Job, JobList, ListJobsQuery } from "../../schema/contract/index.js";
import type { AppEnv } from "../env.js";
import { cancelOwnedJob } from "../jobs/cancel-job.js";
import { createJob } from "../jobs/create-job.js";
import { getJobView, listJobViews, toJobView } from "../jobs/job-view.js";
import { requireApiKey } from "../middleware/auth.js";
import { announceJobRateLimit } from "../middleware/rate-limit.js";
import { validationHook } from "../middleware/validation.js";
import { createObjectStore } from "../services/storage.js";
import { IdParam, errors, json } from "./openapi-common.js";

const security = [{ apiKey: [] }];
const jobs = new OpenAPIHono<AppEnv>({ defaultHook: validationHook });
jobs.use("*", requireApiKey);

const create = createRoute({
  method: "post",
  path: "/",
  security,
  middleware: [announceJobRateLimit] as const,
  request: {
    headers: z.object({ "idempotency-key": z.string().min(1).max(200).optional() }),
    body: { required: true, content: { "application/json": { schema: CreateJobRequest } } },
  },
  responses: { 202: json(Job, "the job, queued (or as it is now, for a replayed Idempotency-Key)"), ...errors(400, 401, 409, 415, 422, 429, 503) },
});

jobs.openapi(create, async (c) => {
  const { job, replayed } = await createJob(c.env, { owner: c.get("owner"), apiKeyId: c.get("apiKeyId") }, c.req.valid("json"), c.req.valid("header")["idempotency-key"]);
  if (!replayed) return c.json(await toJobView(c.env, createObjectStore(c.env), job, []), 202);
  c.header("idempotent-replayed", "true");
  return c.json(await getJobView(c.env, c.get("owner"), job.id), 202);
});

const list = createRoute({
  method: "get",
  path: "/",
  security,
  request: { query: ListJobsQuery },
  responses: { 200: json(JobList, "the caller's jobs, newest first"), ...errors(400, 401) },
});

jobs.openapi(list, async (c) => c.json(await listJobViews(c.env, c.get("owner"), c.req.valid("query")), 200));

const get = createRoute({
  method: "get",
  path: "/{id}",
  security,
  request: { params: IdParam },
  responses: { 200: json(Job, "the job with its images"), ...errors(401, 404) },
});

jobs.openapi(get, async (c) => c.json(await getJobView(c.env, c.get("owner"), c.req.valid("param").id), 200));

const cancel = createRoute({
  method: "post",
  path: "/{id}/cancel",
  security,
  request: { params: IdParam },
  responses: { 200: json(Job, "the job, canceled"), ...errors(401, 404, 409, 503) },
});

jobs.openapi(cancel, async (c) => {
  const { id } = c.req.valid("param");
  await cancelOwnedJob(c.env, c.get("owner"), id);
  return c.json(await getJobView(c.env, c.get("owner"), id), 200);
});

export default jobs;
