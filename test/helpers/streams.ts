/**
 * `bytes` as a stream of `pieceBytes`-byte pieces, each made only when the reader asks for it;
 * `beforePiece` may hold a piece back (until the other side has reached some point).
 */
export function piecesOf(bytes: Uint8Array, pieceBytes: number, beforePiece?: (offset: number) => Promise<void>): ReadableStream<Uint8Array> {
  let offset = 0;
  const next = (controller: ReadableStreamDefaultController<Uint8Array>) => {
    if (offset >= bytes.length) return controller.close();
    controller.enqueue(bytes.slice(offset, (offset += pieceBytes)));
  };
  if (!beforePiece) return new ReadableStream({ pull: next });
  return new ReadableStream({
    async pull(controller) {
      if (offset < bytes.length) await beforePiece(offset);
      next(controller);
    },
  });
}
