import { OpenAPIHono, createRoute } from "@hono/zod-openapi";
import { z } from "zod";
import type { AppEnv } from "../env.js";
import { assemblerFor } from "../assembler/assembler-for.js";
import { getOwnedJob } from "../jobs/job-view.js";
import { requireApiKey } from "../middleware/auth.js";
import { validationHook } from "../middleware/validation.js";
import { IdParam, errors } from "./openapi-common.js";

const events = new OpenAPIHono<AppEnv>({ defaultHook: validationHook });
events.use("/:id/events", requireApiKey);

const EVENT_STREAM_DESCRIPTION = `Server-Sent Events from the job's JobAssembler, in order, each with its sequence number as \`id\`:
\`progress\` {progress, message}, \`image\` {id, index, key, url (short-lived display URL), size, contentType, width, height, sha256},
\`image_rejected\` {index, reason}, and one terminal event, \`completed\` {status, images} or \`failed\` / \`canceled\` / \`timed_out\` {status, error}.
A final \`end\` event {status} follows the terminal event, then the stream closes. Send \`Last-Event-ID\` to resume after an event.`;

const watch = createRoute({
  method: "get",
  path: "/{id}/events",
  security: [{ apiKey: [] }],
  summary: "Live events of a job (Server-Sent Events), resumable with Last-Event-ID",
  request: {
    params: IdParam,
    headers: z.object({ "last-event-id": z.string().regex(/^\d{1,15}$/, "the id of an event this stream sent").optional() }),
  },
  responses: {
    200: { content: { "text/event-stream": { schema: z.string() } }, description: EVENT_STREAM_DESCRIPTION },
    ...errors(400, 401, 404),
  },
});

events.openapi(watch, async (c) => {
  const { id } = c.req.valid("param");
  const job = await getOwnedJob(c.env, c.get("owner"), id);
  const lastEventId = Number(c.req.valid("header")["last-event-id"] ?? 0);
  const stream = await assemblerFor(c.env, id).events(lastEventId, job.status);
  return new Response(stream, {
    headers: {
      "content-type": "text/event-stream; charset=utf-8",
      "cache-control": "no-cache, no-transform",
      "x-accel-buffering": "no",
    },
  });
});

export default events;
