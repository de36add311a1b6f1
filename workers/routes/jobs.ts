import { OpenAPIHono, createRoute } from "@hono/zod-openapi";
import { z } from "zod";
import { CreateJobRequest, Job, JobList, ListJobsQuery, isFinalStatus } from "../../schema/contract/index.js";
import { settings, type AppEnv } from "../env.js";
import { cancelOwnedJob } from "../jobs/cancel-job.js";
import { createJob } from "../jobs/create-job.js";
import { listJobViews } from "../jobs/job-list.js";
import { getJobView, jobView } from "../jobs/job-view.js";
import { preferredWaitSeconds, waitForJobEnd } from "../jobs/wait-for-job.js";
import { requireApiKey } from "../middleware/auth.js";
import { announceJobRateLimit } from "../middleware/rate-limit.js";
import { validationHook } from "../middleware/validation.js";
import { IdParam, errors, json } from "./openapi-common.js";

const security = [{ apiKey: [] }];
/** What a created job leads to, so tools that follow links (schemathesis) reach its routes with a real id. */
const JOB_LINKS = Object.fromEntries(
  [["GetJob", "getJob"], ["WatchJob", "watchJob"], ["CancelJob", "cancelJob"]].map(([name, operationId]) => [name, { operationId, parameters: { id: "$response.body#/id" } }]),
);
const jobs = new OpenAPIHono<AppEnv>({ defaultHook: validationHook });

const create = createRoute({
  method: "post",
  path: "/",
  security,
  middleware: [requireApiKey, announceJobRateLimit] as const,
  summary: "Create a job; with `Prefer: wait=N` the answer waits up to N seconds (capped) for the job to end",
  request: {
    headers: z.object({
      "idempotency-key": z.string().min(1).max(200).optional(),
      prefer: z.string().max(200).optional().describe("wait or wait=N (seconds): answer once the job ended, or after N seconds, whichever comes first"),
    }),
    body: { required: true, content: { "application/json": { schema: CreateJobRequest } } },
  },
  responses: {
    200: { ...json(Job, "Prefer: wait, and the job ended within it (Preference-Applied says how long was allowed)"), links: JOB_LINKS },
    202: { ...json(Job, "the job, queued (or as it is now, for a replayed Idempotency-Key, or when Prefer: wait ran out)"), links: JOB_LINKS },
    ...errors(400, 401, 409, 415, 422, 429, 503),
  },
});

jobs.openapi(create, async (c) => {
  const headers = c.req.valid("header");
  const caller = { owner: c.get("owner"), apiKeyId: c.get("apiKeyId") };
  const { job, replayed } = await createJob(c.env, caller, c.req.valid("json"), headers["idempotency-key"]);
  if (replayed) c.header("idempotent-replayed", "true");
  const wait = preferredWaitSeconds(headers.prefer, settings(c.env).preferWaitMaxMs / 1000);
  if (wait === null) return c.json(await jobView(c.env, job), 202);
  c.header("preference-applied", `wait=${wait}`);
  await waitForJobEnd(c.env, job, wait);
  const view = await getJobView(c.env, caller.owner, job.id);
  return isFinalStatus(view.status) ? c.json(view, 200) : c.json(view, 202);
});

const list = createRoute({
  method: "get",
  path: "/",
  security,
  middleware: [requireApiKey] as const,
  summary: "The caller's jobs, newest first; images without URLs unless include=urls",
  request: { query: ListJobsQuery },
  responses: { 200: json(JobList, "the caller's jobs, newest first"), ...errors(400, 401) },
});

jobs.openapi(list, async (c) => c.json(await listJobViews(c.env, c.get("owner"), c.req.valid("query")), 200));

const get = createRoute({
  method: "get",
  path: "/{id}",
  operationId: "getJob",
  security,
  middleware: [requireApiKey] as const,
  summary: "The job: images with display URLs and sha256, timings, webhook delivery attempts",
  request: { params: IdParam },
  responses: { 200: json(Job, "the job with its images"), ...errors(401, 404) },
});

jobs.openapi(get, async (c) => c.json(await getJobView(c.env, c.get("owner"), c.req.valid("param").id), 200));

const cancel = createRoute({
  method: "post",
  path: "/{id}/cancel",
  operationId: "cancelJob",
  security,
  middleware: [requireApiKey] as const,
  request: { params: IdParam },
  responses: { 200: json(Job, "the job, canceled"), ...errors(401, 404, 409, 503) },
});

jobs.openapi(cancel, async (c) => {
  const { id } = c.req.valid("param");
  await cancelOwnedJob(c.env, c.get("owner"), id);
  return c.json(await getJobView(c.env, c.get("owner"), id), 200);
});

export default jobs;
