import { env } from "cloudflare:workers";
import { afterEach, describe, expect, it, vi } from "vitest";
import vectors from "../vectors/standard-webhooks.json";
import {
  deriveCallbackToken,
  deriveJobWebhookSecret,
  signWebhook,
  requireCallbackToken,
  verifyCallbackToken,
  verifySignedWebhook,
  verifyWebhookSignature,
  webhookCredential,
} from "../../workers/services/webhook-signing.js";

const signingKey = env.WEBHOOK_SIGNING_KEY;
const jobId = "job_signing_unit";
const body = JSON.stringify({ type: "progress", job_id: jobId, progress: 40 });
const minutes = (n: number) => n * 60_000;

type Vector = { secret: string; msg_id: string; timestamp: number; payload: string; signature: string };

const [published] = vectors.valid;
if (!published) throw new Error("test/vectors/standard-webhooks.json lost its published vector");

const vectorHeaders = (vector: Vector, signature = vector.signature) =>
  new Headers({ "webhook-id": vector.msg_id, "webhook-timestamp": String(vector.timestamp), "webhook-signature": signature });

async function signedHeaders(options: { secret?: string; webhookId?: string; timestamp?: Date; signedBody?: string } = {}) {
  const secret = options.secret ?? (await deriveJobWebhookSecret(signingKey, jobId));
  return new Headers(signWebhook({ secret, webhookId: options.webhookId ?? "msg_unit_1", timestamp: options.timestamp ?? new Date(), body: options.signedBody ?? body }));
}

/** What the webhook route does before it reads JSON: the credential, then a signature on the raw bytes or the legacy token. */
async function verify(input: { headers: Headers; body: string; token?: string | null }) {
  const credential = webhookCredential(input.headers, input.token);
  if (credential.kind === "token") {
    await requireCallbackToken(signingKey, jobId, "legacy-callback", credential.token);
    return { method: "token" };
  }
  const { webhookId } = await verifySignedWebhook({ signingKey, jobId, headers: input.headers, body: new TextEncoder().encode(input.body) });
  return { method: "signature", webhookId };
}

async function rejection(attempt: () => unknown): Promise<{ code: string; status: number; message: string }> {
  try {
    await attempt();
  } catch (error) {
    return error as { code: string; status: number; message: string };
  }
  throw new Error("expected the webhook to be refused");
}

async function expectUnauthorized(attempt: () => unknown, message: RegExp) {
  const error = await rejection(attempt);
  expect(error).toMatchObject({ code: "unauthorized", status: 401 });
  expect(error.message).toMatch(message);
}

describe("Standard Webhooks published vectors", () => {
  afterEach(() => vi.useRealTimers());
  const atVectorTime = (vector: Vector, offsetMs = 10_000) => {
    vi.useFakeTimers({ toFake: ["Date"] });
    vi.setSystemTime(vector.timestamp * 1000 + offsetMs);
  };

  it.each(vectors.valid)("signs $name exactly as published", (vector) => {
    const headers = signWebhook({ secret: vector.secret, webhookId: vector.msg_id, timestamp: new Date(vector.timestamp * 1000), body: vector.payload });
    expect(headers).toEqual({ "webhook-id": vector.msg_id, "webhook-timestamp": String(vector.timestamp), "webhook-signature": vector.signature });
  });

  it.each(vectors.valid)("verifies $name", (vector) => {
    atVectorTime(vector);
    expect(verifyWebhookSignature(vector.secret, vectorHeaders(vector), vector.payload)).toBe(vector.msg_id);
  });

  it.each(vectors.invalid)("rejects $name ($source)", async (vector) => {
    atVectorTime(vector);
    await expectUnauthorized(() => verifyWebhookSignature(vector.secret, vectorHeaders(vector), vector.payload), /does not verify/);
  });

  it("accepts a space-separated list in which one signature is valid, and refuses one in which none is", async () => {
    const vector = published;
    const { decoys, trailing_decoy: trailing } = vectors.multi_signature;
    atVectorTime(vector);
    const withValid = [...decoys, vector.signature, trailing].join(" ");
    expect(verifyWebhookSignature(vector.secret, vectorHeaders(vector, withValid), vector.payload)).toBe(vector.msg_id);
    await expectUnauthorized(() => verifyWebhookSignature(vector.secret, vectorHeaders(vector, [...decoys, trailing].join(" ")), vector.payload), /does not verify/);
  });

  it("refuses the published vector 6 minutes after and 6 minutes before its timestamp", async () => {
    const vector = published;
    atVectorTime(vector, minutes(6));
    await expectUnauthorized(() => verifyWebhookSignature(vector.secret, vectorHeaders(vector), vector.payload), /more than 5 minutes old/);
    atVectorTime(vector, -minutes(6));
    await expectUnauthorized(() => verifyWebhookSignature(vector.secret, vectorHeaders(vector), vector.payload), /in the future/);
  });
});

describe("per-job secrets and tokens", () => {
  it("derives a deterministic whsec_ secret of 32 bytes, different for each job and each signing key", async () => {
    const secret = await deriveJobWebhookSecret(signingKey, jobId);
    expect(secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    expect(atob(secret.slice("whsec_".length)).length).toBe(32);
    expect(await deriveJobWebhookSecret(signingKey, jobId)).toBe(secret);
    expect(await deriveJobWebhookSecret(signingKey, "job_other")).not.toBe(secret);
    expect(await deriveJobWebhookSecret(`${signingKey}-rotated`, jobId)).not.toBe(secret);
  });

  it("derives a URL-safe token that is not the secret in another encoding", async () => {
    const token = await deriveCallbackToken(signingKey, jobId, "legacy-callback");
    expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(await deriveCallbackToken(signingKey, jobId, "legacy-callback")).toBe(token);
    expect(await deriveCallbackToken(signingKey, "job_other", "legacy-callback")).not.toBe(token);
    const secretAsBase64Url = (await deriveJobWebhookSecret(signingKey, jobId)).slice(6).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
    expect(token).not.toBe(secretAsBase64Url);
  });

  it("accepts only this job's token", async () => {
    const token = await deriveCallbackToken(signingKey, jobId, "legacy-callback");
    expect(await verifyCallbackToken(signingKey, jobId, "legacy-callback", token)).toBe(true);
    expect(await verifyCallbackToken(signingKey, jobId, "legacy-callback", await deriveCallbackToken(signingKey, "job_other", "legacy-callback"))).toBe(false);
    expect(await verifyCallbackToken(signingKey, jobId, "legacy-callback", `${token.slice(0, -1)}${token.endsWith("A") ? "B" : "A"}`)).toBe(false);
    expect(await verifyCallbackToken(signingKey, jobId, "legacy-callback", token.slice(0, 20))).toBe(false);
    expect(await verifyCallbackToken(signingKey, jobId, "legacy-callback", "")).toBe(false);
  });
});

describe("signed requests, verified on their raw bytes", () => {
  it("accepts a webhook signed with the job's derived secret and returns its id", async () => {
    const result = await verify({ headers: await signedHeaders({ webhookId: "msg_round_trip" }), body });
    expect(result).toEqual({ method: "signature", webhookId: "msg_round_trip" });
  });

  it("accepts a timestamp 4 minutes old, inside the tolerance", async () => {
    const headers = await signedHeaders({ timestamp: new Date(Date.now() - minutes(4)) });
    expect(await verify({ headers, body })).toMatchObject({ method: "signature" });
  });

  it.each([
    ["a forged signature (unrelated secret)", () => signedHeaders({ secret: "whsec_c2VjcmV0LW9mLWFub3RoZXItZW5kcG9pbnQtMzJi" }), body, /does not verify/],
    ["the secret of another job", async () => signedHeaders({ secret: await deriveJobWebhookSecret(signingKey, "job_other") }), body, /does not verify/],
    ["a tampered body", () => signedHeaders(), body.replace("40", "100"), /does not verify/],
    ["a stale timestamp (6 minutes old)", () => signedHeaders({ timestamp: new Date(Date.now() - minutes(6)) }), body, /more than 5 minutes old/],
    ["a future timestamp (6 minutes ahead)", () => signedHeaders({ timestamp: new Date(Date.now() + minutes(6)) }), body, /in the future/],
  ] as const)("refuses %s", async (_, makeHeaders, sentBody, message) => {
    const headers = await makeHeaders();
    await expectUnauthorized(() => verify({ headers, body: sentBody }), message);
  });

  it("refuses a tampered webhook-id", async () => {
    const headers = await signedHeaders({ webhookId: "msg_original" });
    headers.set("webhook-id", "msg_replayed");
    await expectUnauthorized(() => verify({ headers, body }), /does not verify/);
  });

  it("refuses a tampered or malformed timestamp", async () => {
    const headers = await signedHeaders();
    headers.set("webhook-timestamp", String(Number(headers.get("webhook-timestamp")) - 1));
    await expectUnauthorized(() => verify({ headers, body }), /does not verify/);
    headers.set("webhook-timestamp", `${Math.floor(Date.now() / 1000)}abc`);
    await expectUnauthorized(() => verify({ headers, body }), /whole seconds/);
  });

  it("does not let a valid token rescue a bad signature", async () => {
    const token = await deriveCallbackToken(signingKey, jobId, "legacy-callback");
    const headers = await signedHeaders({ secret: await deriveJobWebhookSecret(signingKey, "job_other") });
    await expectUnauthorized(() => verify({ headers, body, token }), /does not verify/);
  });

  it.each(["webhook-id", "webhook-timestamp"])("refuses a signed webhook without %s, even with a valid token", async (header) => {
    const headers = await signedHeaders();
    headers.delete(header);
    const token = await deriveCallbackToken(signingKey, jobId, "legacy-callback");
    await expectUnauthorized(() => verify({ headers, body, token }), new RegExp(`no ${header} header`));
  });

  it("refuses a webhook-id containing '.', which would make the signed content ambiguous", async () => {
    const headers = await signedHeaders({ webhookId: "msg.1" });
    await expectUnauthorized(() => verify({ headers, body }), /must not contain/);
  });

  it("verifies a body that starts with a UTF-8 byte order mark, and gives its text without it", async () => {
    const bom = `\uFEFF${body}`;
    const headers = await signedHeaders({ webhookId: "msg_bom", signedBody: bom });
    const bytes = new TextEncoder().encode(bom);
    expect([...bytes.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    expect(await verifySignedWebhook({ signingKey, jobId, headers, body: bytes })).toEqual({ webhookId: "msg_bom", text: body });
  });

  it("refuses a signed body that is not UTF-8", async () => {
    const headers = await signedHeaders();
    const bytes = new Uint8Array([...new TextEncoder().encode(body), 0xff]);
    await expectUnauthorized(() => verifySignedWebhook({ signingKey, jobId, headers, body: bytes }), /not UTF-8/);
  });

  it("accepts a signature list in which one entry is the job's (secret rotation)", async () => {
    const timestamp = new Date();
    const stale = signWebhook({ secret: await deriveJobWebhookSecret("an-older-signing-key", jobId), webhookId: "msg_rotated", timestamp, body });
    const headers = await signedHeaders({ webhookId: "msg_rotated", timestamp });
    headers.set("webhook-signature", `${stale["webhook-signature"]} ${headers.get("webhook-signature")}`);
    expect(await verify({ headers, body })).toEqual({ method: "signature", webhookId: "msg_rotated" });
  });
});

describe("unsigned requests and the URL token", () => {
  it("accepts the job's legacy token", async () => {
    const token = await deriveCallbackToken(signingKey, jobId, "legacy-callback");
    expect(await verify({ headers: new Headers({ "webhook-id": "msg_legacy_7" }), body, token })).toEqual({ method: "token" });
  });

  it("keeps the legacy route's token and RunPod's apart", async () => {
    const legacy = await deriveCallbackToken(signingKey, jobId, "legacy-callback");
    const runpod = await deriveCallbackToken(signingKey, jobId, "runpod");
    expect(runpod).not.toBe(legacy);
    expect(await verifyCallbackToken(signingKey, jobId, "runpod", legacy)).toBe(false);
    expect(await verifyCallbackToken(signingKey, jobId, "legacy-callback", runpod)).toBe(false);
    expect(await verifyCallbackToken(signingKey, jobId, "runpod", runpod)).toBe(true);
  });

  it.each([undefined, null])("refuses a request with neither signature nor token (token %s)", async (token) => {
    await expectUnauthorized(() => verify({ headers: new Headers({ "webhook-id": "msg_x" }), body, token }), /neither/);
  });

  const badTokens: Array<[string, () => Promise<string>]> = [
    ["a wrong token", async () => "forged"],
    ["an empty token", async () => ""],
    ["the token of another job", () => deriveCallbackToken(signingKey, "job_other", "legacy-callback")],
    ["a token derived under another signing key", () => deriveCallbackToken("another-deployment-key", jobId, "legacy-callback")],
  ];
  it.each(badTokens)("refuses %s", async (_, makeToken) => {
    const token = await makeToken();
    await expectUnauthorized(() => verify({ headers: new Headers(), body, token }), /token is not valid/);
  });
});
