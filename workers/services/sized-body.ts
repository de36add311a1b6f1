/**
 * A stream body for a request that must carry exactly `length` bytes (a FixedLengthStream, so the
 * request has its Content-Length). The bytes are counted here, and a body that fails, runs past
 * `length` or ends short of it aborts the request through `signal`; `failure()` says why. Its
 * failure never reaches the request's own stream: workerd logs a request body that errors (or a
 * FixedLengthStream that sees the wrong count) as an uncaught exception, an aborted request not.
 */
export type SizedBody = {
  stream: ReadableStream<Uint8Array>;
  signal: AbortSignal;
  /** Why the body failed, if it did before `stop`. */
  failure(): unknown;
  /** The request is over (answered or failed): the body is read no further, and fails no more. */
  stop(): void;
};

export function sizedBody(body: ReadableStream<Uint8Array>, length: number): SizedBody {
  const sized = new FixedLengthStream(length);
  const abort = new AbortController();
  const reader = body.getReader();
  let failure: unknown;
  let stopped = false;
  void feed(reader, sized.writable.getWriter(), length).catch((error: unknown) => {
    if (stopped) return;
    failure = error;
    abort.abort();
    void reader.cancel(error).catch(() => undefined);
  });
  return {
    stream: sized.readable,
    signal: abort.signal,
    failure: () => failure,
    stop: () => {
      stopped = true;
      void reader.cancel().catch(() => undefined);
    },
  };
}

/**
 * Writes the body on, and closes the writer only after exactly `length` bytes; else throws, leaving it
 * open. A writer that fails means the request itself went away (a cut connection): that is the
 * request's failure to report, not the body's, so feeding just stops.
 */
async function feed(reader: ReadableStreamDefaultReader<Uint8Array>, writer: WritableStreamDefaultWriter<Uint8Array>, length: number) {
  let seen = 0;
  for (let read = await reader.read(); !read.done; read = await reader.read()) {
    seen += read.value.byteLength;
    if (seen > length) throw new Error(`the body is longer than its declared ${length} bytes`);
    if (!(await writer.write(read.value).then(() => true, () => false))) return;
  }
  if (seen < length) throw new Error(`the body ended after ${seen} of its ${length} bytes`);
  await writer.close().catch(() => undefined);
}
