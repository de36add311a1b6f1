import { describe, expect, it } from "vitest";
import handlerInputVectors from "../../schema/vectors/handler-input.json";
import legacyVectors from "../../schema/vectors/legacy-webhooks.json";
import webhookEventVectors from "../../schema/vectors/webhook-event.json";
import { HandlerInput, WebhookEvent, isContractShaped, normaliseWebhook } from "../../schema/contract/index.js";

describe("handler input vectors", () => {
  it.each(handlerInputVectors.valid)("accepts $name", ({ payload }) => {
    expect(HandlerInput.safeParse(payload).error?.issues).toBeUndefined();
  });
  it.each(handlerInputVectors.invalid)("rejects $name at $path", ({ payload, path }) => {
    const result = HandlerInput.safeParse(payload);
    expect(result.success).toBe(false);
    expect(result.error?.issues.map((issue) => issue.path.join("."))).toContain(path);
  });
});

describe("webhook event vectors", () => {
  it.each(webhookEventVectors.valid)("accepts $name", ({ payload }) => {
    expect(WebhookEvent.safeParse(payload).error?.issues).toBeUndefined();
  });
  it("has no image_chunk event: bytes are legacy-only", () => {
    const chunk = { type: "image_chunk", job_id: "job_1", index: 0, chunk: 0, chunks: 2, content_type: "image/png", data: "iVBORw0K" };
    expect(WebhookEvent.safeParse(chunk).success).toBe(false);
    expect(isContractShaped(chunk)).toBe(false);
  });
  it.each(webhookEventVectors.invalid)("rejects $name", ({ payload, path }) => {
    const result = normaliseWebhook(payload);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.issues.map((issue) => issue.path).some((p) => p.startsWith(path))).toBe(true);
  });
});

describe("legacy webhook vectors (docs/legacy-formats.md)", () => {
  it.each(legacyVectors.valid)("normalises $name", ({ payload, events }) => {
    const result = normaliseWebhook(payload);
    expect(result).toMatchObject({ ok: true, shape: "legacy" });
    if (result.ok) expect(JSON.parse(JSON.stringify(result.events))).toEqual(events);
  });
  it.each(legacyVectors.invalid)("rejects $name at '$path'", ({ payload, path }) => {
    const result = normaliseWebhook(payload);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.issues.map((issue) => issue.path)).toContain(path);
  });
});
