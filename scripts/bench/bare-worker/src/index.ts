import { AwsClient } from "aws4fetch";
import { DurableObject } from "cloudflare:workers";
import { Hono } from "hono";

/**
 * The floor Easel's webhook ingest is measured against (the performance review's baseline): a
 * Hono route that reads and parses the body, makes one RPC to the job's SQLite Durable Object
 * (one INSERT OR IGNORE) and runs one D1 INSERT OR IGNORE. No auth, no HEAD, no event log, no
 * alarms: a floor, not a rival. With HEAD_BUCKET_URL set (BENCH_BARE_HEAD=1), the Durable Object
 * first makes the one signed HEAD of the announced object that Easel's design requires.
 */
export class JobReceipts extends DurableObject<Env> {
  private readonly store: AwsClient | null;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    ctx.storage.sql.exec("CREATE TABLE IF NOT EXISTS receipts (webhook_id TEXT PRIMARY KEY, idx INTEGER NOT NULL)");
    this.store = env.HEAD_BUCKET_URL
      ? new AwsClient({ accessKeyId: env.HEAD_ACCESS_KEY_ID, secretAccessKey: env.HEAD_SECRET_ACCESS_KEY, service: "s3", region: env.HEAD_REGION, retries: 0 })
      : null;
  }

  /** Nothing to do: being called creates the object, as Easel's JobAssembler is created with its job. */
  open(): void {}

  async receive(webhookId: string, index: number, key: string): Promise<void> {
    if (this.store) {
      const head = await this.store.fetch(`${this.env.HEAD_BUCKET_URL}/${key}`, { method: "HEAD" });
      if (head.status !== 200) throw new Error(`HEAD ${key} answered ${head.status}`);
    }
    this.ctx.storage.sql.exec("INSERT OR IGNORE INTO receipts (webhook_id, idx) VALUES (?, ?)", webhookId, index);
  }

  indexes(): number[] {
    return this.ctx.storage.sql.exec<{ idx: number }>("SELECT idx FROM receipts").toArray().map((row) => row.idx);
  }
}

type ImageWebhook = { image: { index: number; key: string } };

const receiptsOf = (env: Env, jobId: string) => env.JOB_RECEIPTS.get(env.JOB_RECEIPTS.idFromName(jobId));

const app = new Hono<{ Bindings: Env }>();

app.get("/health", (c) => c.text("ok"));

app.post("/api/webhooks/generation/:jobId", async (c) => {
  const jobId = c.req.param("jobId");
  const body = await c.req.json<ImageWebhook>();
  const webhookId = c.req.header("webhook-id") ?? crypto.randomUUID();
  await receiptsOf(c.env, jobId).receive(webhookId, body.image.index, body.image.key);
  await c.env.DB.prepare("INSERT OR IGNORE INTO receipts (webhook_id, job_id, idx) VALUES (?, ?, ?)").bind(webhookId, jobId, body.image.index).run();
  return c.json({ result: "applied" });
});

app.put("/api/jobs/:jobId", async (c) => {
  await receiptsOf(c.env, c.req.param("jobId")).open();
  return c.body(null, 204);
});

/** What each store holds for a job: the image index of every row. */
app.get("/api/jobs/:jobId", async (c) => {
  const jobId = c.req.param("jobId");
  const d1 = await c.env.DB.prepare("SELECT idx FROM receipts WHERE job_id = ?").bind(jobId).all<{ idx: number }>();
  return c.json({ durableObject: await receiptsOf(c.env, jobId).indexes(), d1: d1.results.map((row) => row.idx) });
});

export default app;
