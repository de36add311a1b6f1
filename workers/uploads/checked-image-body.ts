import { ApiError } from "../errors.js";
import { IMAGE_HEAD_BYTES, imageTypeOf } from "../services/image-info.js";

export type CheckedImageBody = {
  /** The body as it arrives, checked piece by piece: never held whole. */
  stream: ReadableStream<Uint8Array>;
  /** Why the stream failed, when the body itself was at fault (too long, too short). */
  problem(): ApiError | undefined;
};

/**
 * Reads the body's first bytes and refuses it (415) unless they are a PNG, JPEG or WebP of the
 * declared type; then passes the rest on as it comes, failing (413) the moment the body runs past
 * `declaredLength`, or (400) if it ends short of it or breaks off (the client went away).
 */
export async function checkedImageBody(body: ReadableStream<Uint8Array>, declaredLength: number, declaredType: string): Promise<CheckedImageBody> {
  const reader = body.getReader();
  const head = await readHead(reader, declaredLength);
  const type = imageTypeOf(head);
  const refusal =
    head.byteLength > declaredLength
      ? tooLong(declaredLength)
      : type === null
        ? new ApiError("unsupported_media_type", "the body is not a PNG, JPEG or WebP image")
        : type !== declaredType
          ? new ApiError("unsupported_media_type", `the body is ${type}, not the ${declaredType} this upload URL was signed for`)
          : undefined;
  if (refusal) {
    await reader.cancel().catch(() => undefined);
    throw refusal;
  }

  let seen = head.byteLength;
  let problem: ApiError | undefined;
  const fail = (controller: ReadableStreamDefaultController<Uint8Array>, error: ApiError) => {
    problem = error;
    controller.error(error);
    void reader.cancel(error).catch(() => undefined);
  };
  const stream = new ReadableStream<Uint8Array>(
    {
      start(controller) {
        controller.enqueue(head);
      },
      async pull(controller) {
        let read: ReadableStreamReadResult<Uint8Array>;
        try {
          read = await reader.read();
        } catch {
          return fail(controller, brokeOff(seen, declaredLength));
        }
        const { value, done } = read;
        if (done) {
          if (seen < declaredLength) fail(controller, new ApiError("bad_request", `the body ended after ${seen} of its ${declaredLength} bytes`));
          else controller.close();
          return;
        }
        seen += value.byteLength;
        if (seen > declaredLength) return fail(controller, tooLong(declaredLength));
        controller.enqueue(value);
      },
      cancel(reason) {
        return reader.cancel(reason);
      },
    },
    // Pull only when the store's side asks: no read-ahead beyond the piece in flight.
    { highWaterMark: 0 },
  );
  return { stream, problem: () => problem };
}

const tooLong = (declaredLength: number) => new ApiError("payload_too_large", `the body is longer than its declared ${declaredLength} bytes`);
const brokeOff = (seen: number, declaredLength: number) => new ApiError("bad_request", `the body broke off after ${seen} of its ${declaredLength} bytes`);

/** At least IMAGE_HEAD_BYTES from the start of the body (fewer only if it ends first), in one piece. */
async function readHead(reader: ReadableStreamDefaultReader<Uint8Array>, declaredLength: number): Promise<Uint8Array> {
  const pieces: Uint8Array[] = [];
  let length = 0;
  while (length < IMAGE_HEAD_BYTES) {
    const { value, done } = await reader.read().catch(() => {
      throw brokeOff(length, declaredLength);
    });
    if (done) break;
    pieces.push(value);
    length += value.byteLength;
  }
  if (pieces.length === 1) return pieces[0]!;
  const head = new Uint8Array(length);
  let offset = 0;
  for (const piece of pieces) {
    head.set(piece, offset);
    offset += piece.byteLength;
  }
  return head;
}
