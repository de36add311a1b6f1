import { describe, expect, it } from "vitest";
import { ApiError } from "../../workers/errors.js";
import { checkedImageBody } from "../../workers/uploads/checked-image-body.js";
import { pngBytes } from "../helpers/images.js";
import { piecesOf } from "../helpers/streams.js";

async function drain(stream: ReadableStream<Uint8Array>): Promise<number> {
  let length = 0;
  for await (const piece of stream) length += piece.byteLength;
  return length;
}

describe("checkedImageBody", () => {
  it("passes an image of the declared length and type through, even when its first bytes come one at a time", async () => {
    const checked = await checkedImageBody(piecesOf(pngBytes(8, 8, 5000), 1), 5000, "image/png");
    expect(await drain(checked.stream)).toBe(5000);
    expect(checked.problem()).toBeUndefined();
  });

  it("fails with 413 the moment the body runs past its declared length, without reading further", async () => {
    let produced = 0;
    const endless = new ReadableStream<Uint8Array>({
      start: (controller) => controller.enqueue(pngBytes(8, 8, 1000)),
      pull: (controller) => { produced += 1000; controller.enqueue(new Uint8Array(1000)); },
    });
    const checked = await checkedImageBody(endless, 2500, "image/png");
    const error = await drain(checked.stream).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ApiError);
    expect(error).toMatchObject({ status: 413, message: "the body is longer than its declared 2500 bytes" });
    expect(checked.problem()).toBe(error);
    expect(produced).toBeLessThanOrEqual(3000);
  });

  it("fails with 400 when the body ends short of its declared length", async () => {
    const checked = await checkedImageBody(piecesOf(pngBytes(8, 8, 1000), 300), 2000, "image/png");
    await expect(drain(checked.stream)).rejects.toMatchObject({ status: 400, message: "the body ended after 1000 of its 2000 bytes" });
  });

  it("fails with 400 when the body breaks off (the client went away), not with the connection's own error", async () => {
    const head = pngBytes(8, 8, 1000);
    const cut = new ReadableStream<Uint8Array>({
      start: (controller) => controller.enqueue(head),
      pull: (controller) => controller.error(new Error("Network connection lost.")),
    });
    const checked = await checkedImageBody(cut, 2000, "image/png");
    await expect(drain(checked.stream)).rejects.toMatchObject({ status: 400, message: "the body broke off after 1000 of its 2000 bytes" });
    expect(checked.problem()).toMatchObject({ status: 400 });

    const gone = new ReadableStream<Uint8Array>({ pull: (controller) => controller.error(new Error("Network connection lost.")) });
    await expect(checkedImageBody(gone, 2000, "image/png")).rejects.toMatchObject({ status: 400, message: "the body broke off after 0 of its 2000 bytes" });
  });

  it("refuses with 415, before passing anything on, bytes that are not an image or not the declared type", async () => {
    await expect(checkedImageBody(piecesOf(new TextEncoder().encode("<html>".padEnd(100)), 10), 100, "image/png")).rejects.toMatchObject({ status: 415 });
    await expect(checkedImageBody(piecesOf(pngBytes(8, 8, 100), 10), 100, "image/webp")).rejects.toMatchObject({
      status: 415,
      message: "the body is image/png, not the image/webp this upload URL was signed for",
    });
    await expect(checkedImageBody(piecesOf(pngBytes(8, 8, 100), 100), 50, "image/png")).rejects.toMatchObject({ status: 413 });
  });
});
