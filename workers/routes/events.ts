import { OpenAPIHono, createRoute } from "@hono/zod-openapi";
import { z } from "zod";
import { JOB_EVENT_DATA, JOB_EVENT_NAMES, isFinalStatus, type JobEventName } from "../../schema/contract/index.js";
import type { AppEnv } from "../env.js";
import { assemblerFor } from "../assembler/assembler-for.js";
import { getOwnedJob } from "../jobs/job-view.js";
import { requireApiKey } from "../middleware/auth.js";
import { validationHook } from "../middleware/validation.js";
import { IdParam, errors } from "./openapi-common.js";

const events = new OpenAPIHono<AppEnv>({ defaultHook: validationHook });

/** Each event's data is a component (`JobProgressEvent`, …), so generated clients type it. */
const componentName = (name: JobEventName) => `Job${name.replace(/(^|_)(\w)/g, (_, __, letter: string) => letter.toUpperCase())}Event`;
for (const name of JOB_EVENT_NAMES) events.openAPIRegistry.register(componentName(name), JOB_EVENT_DATA[name]);

/** One event as the stream carries it (OpenAPI 3.1: the schema of a `text/event-stream` describes each event). */
const StreamEvent = z.union(
  JOB_EVENT_NAMES.map((name) =>
    z.object({
      event: z.literal(name),
      id: z.string().optional(),
      retry: z.number().int().optional(),
      data: z.string().meta({ contentMediaType: "application/json", contentSchema: { $ref: `#/components/schemas/${componentName(name)}` } }),
    }),
  ) as unknown as [z.ZodObject, z.ZodObject, ...z.ZodObject[]],
);

const DESCRIPTION = `Server-Sent Events from the job's JobAssembler, in order, each with its sequence number as \`id\`:
\`progress\`, \`image\` (with a short-lived display URL), \`image_rejected\`, and one terminal event, \`completed\`, \`failed\`,
\`canceled\` or \`timed_out\`; each event's data is the component of its name (\`JobProgressEvent\`, …). A final \`end\` event follows
the terminal event, then the stream closes: close your EventSource on \`end\`. Send \`Last-Event-ID\` to resume after an event; a
resume past the end of an ended job answers 204, which stops a standard EventSource.`;

const watch = createRoute({
  method: "get",
  path: "/{id}/events",
  operationId: "watchJob",
  security: [{ apiKey: [] }],
  middleware: [requireApiKey] as const,
  summary: "Live events of a job (Server-Sent Events), resumable with Last-Event-ID",
  request: {
    params: IdParam,
    headers: z.object({ "last-event-id": z.string().regex(/^\d{1,15}$/, "the id of an event this stream sent").optional() }),
  },
  responses: {
    200: { content: { "text/event-stream": { schema: StreamEvent } }, description: DESCRIPTION },
    204: { description: "the job has ended and the stream has nothing after Last-Event-ID" },
    ...errors(400, 401, 404),
  },
});

const SSE_HEADERS = { "content-type": "text/event-stream; charset=utf-8", "cache-control": "no-cache, no-transform", "x-accel-buffering": "no" };

events.openapi(watch, async (c) => {
  const { id } = c.req.valid("param");
  const job = await getOwnedJob(c.env, c.get("owner"), id);
  const resumeAfter = c.req.valid("header")["last-event-id"];
  const stream = await assemblerFor(c.env, id).events(Number(resumeAfter ?? 0), job.status);
  if (resumeAfter === undefined || !isFinalStatus(job.status)) return new Response(stream, { headers: SSE_HEADERS });
  // An ended job's stream is short and closes by itself: read it whole to see whether anything but `end` is left.
  const text = await new Response(stream).text();
  if (!/^id: /m.test(text)) return c.body(null, 204);
  return new Response(text, { headers: SSE_HEADERS });
});

export default events;
