import { AwsClient } from "aws4fetch";
import { Hono } from "hono";
import { verifyWebhookSignature } from "../../../../../workers/services/webhook-signing.js";
import { BENCH_OBJECT, PRIMITIVES, ROWS_PER_BATCH, S3_REGION, WEBHOOK_SECRET, type Primitive } from "../../primitives.js";

export { ProbeObject } from "./probe-object.js";

/**
 * The probe of the primitives bench: `POST /{primitive}/{jobId}` reads and parses a signed image
 * webhook, does one building block of Easel's ingest (primitives.ts) and answers JSON. What each
 * route costs over `floor` is what that block costs.
 */

type ImageWebhook = { image: { index: number } };
type Delivery = { env: Env; jobId: string; webhook: ImageWebhook; body: string; headers: Headers };

const INSERT_ROW = "INSERT OR IGNORE INTO receipts (webhook_id, job_id, idx) VALUES (?, ?, ?)";
const INSERT_BATCH = `INSERT OR IGNORE INTO receipts (webhook_id, job_id, idx) VALUES ${Array(ROWS_PER_BATCH).fill("(?, ?, ?)").join(", ")}`;

const probeOf = (env: Env, jobId: string) => env.PROBE.get(env.PROBE.idFromName(jobId));

// One client per isolate, as Easel's JobAssembler keeps its store: aws4fetch caches the derived signing key per client.
let s3: AwsClient | undefined;

async function headBenchObject(env: Env): Promise<void> {
  s3 ??= new AwsClient({ accessKeyId: env.S3_ACCESS_KEY_ID, secretAccessKey: env.S3_SECRET_ACCESS_KEY, service: "s3", region: S3_REGION, retries: 0 });
  const response = await s3.fetch(`${env.S3_ENDPOINT}/${BENCH_OBJECT.bucket}/${BENCH_OBJECT.key}`, { method: "HEAD" });
  if (response.status !== 200) throw new Error(`HEAD of the bench object answered ${response.status}`);
}

function insertBatch({ env, jobId }: Delivery) {
  const rows = Array.from({ length: ROWS_PER_BATCH }, (_, index) => [crypto.randomUUID(), jobId, index]);
  return env.DB.batch([env.DB.prepare(INSERT_BATCH).bind(...rows.flat())]);
}

const PROBES: Record<Primitive, (delivery: Delivery) => Promise<unknown>> = {
  floor: async () => undefined,
  "do-rpc": ({ env, jobId }) => probeOf(env, jobId).nothing(),
  "do-sqlite": ({ env, jobId, webhook }) => probeOf(env, jobId).insert(crypto.randomUUID(), webhook.image.index),
  "do-alarm": ({ env, jobId }) => probeOf(env, jobId).alarmLater(),
  "d1-insert": ({ env, jobId, webhook }) => env.DB.prepare(INSERT_ROW).bind(crypto.randomUUID(), jobId, webhook.image.index).run(),
  "d1-batch-8": insertBatch,
  "s3-head": ({ env }) => headBenchObject(env),
  "webhook-verify": async ({ body, headers }) => verifyWebhookSignature(WEBHOOK_SECRET, headers, body),
};

const app = new Hono<{ Bindings: Env }>();

app.get("/health", (c) => c.text("ok"));

for (const { name } of PRIMITIVES) {
  app.post(`/${name}/:jobId`, async (c) => {
    const body = await c.req.text();
    const webhook = JSON.parse(body) as ImageWebhook;
    await PROBES[name]({ env: c.env, jobId: c.req.param("jobId"), webhook, body, headers: c.req.raw.headers });
    return c.json({ result: "ok" });
  });
}

// The bench prints this when it fails: the probe's own message, never a secret.
app.onError((error, c) => c.json({ error: error.message }, 500));

export default app;
