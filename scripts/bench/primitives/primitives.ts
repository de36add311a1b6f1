/**
 * What the primitives bench measures, shared by the probe Worker (worker/), the driver and the
 * report: each route of the probe, in the order a repeat runs them, and what it does per request
 * on top of reading and parsing the webhook's small JSON body and answering JSON.
 */
export const PRIMITIVES = [
  { name: "floor", does: "nothing else: Hono route, body read and parsed, JSON answer" },
  { name: "do-rpc", does: "one RPC to a SQLite-backed Durable Object that does nothing" },
  { name: "do-sqlite", does: "one RPC to the Durable Object, which runs one SQLite INSERT" },
  { name: "do-alarm", does: "one RPC to the Durable Object, which sets its alarm to a new time" },
  { name: "d1-insert", does: "one D1 INSERT of one row" },
  { name: "d1-batch-8", does: "one D1 batch of one INSERT of 8 rows" },
  { name: "s3-head", does: "one SigV4-signed HEAD (aws4fetch) of an object in the local S3 server" },
  { name: "webhook-verify", does: "Standard Webhooks verification of the body, as Easel's webhook route does it (verifyWebhookSignature)" },
] as const;

export type Primitive = (typeof PRIMITIVES)[number]["name"];

/** How much the bench sends: requests per route and repeat, repeats, connections at once. */
export type PrimitiveSizes = { requests: number; repeats: number; concurrency: number };

/** Rows in d1-batch-8's one INSERT: a batch's cost per webhook is its cost over this. */
export const ROWS_PER_BATCH = 8;

/** Durable Object names the requests spread over, as the ingest bench's 50 jobs. */
export const JOBS = 50;

/** The object s3-head asks for; main.ts PUTs it before the probe starts. */
export const BENCH_OBJECT = { bucket: "primitives", key: "jobs/bench/0.png" };
export const S3_REGION = "us-east-1";

// A fixed bench secret (32 bytes, base64), not a credential: the driver signs with it, the probe verifies.
export const WEBHOOK_SECRET = "whsec_cHJpbWl0aXZlcy1iZW5jaC1zZWNyZXQtMzItYnl0ZXM=";
