/** Legacy bytes kept in the JobAssembler until they are in the bucket: chunks of one image. */

// A Durable Object's SQLite value holds at most 2 MB; whole images are cut below that.
export const PIECE_BYTES = 1024 * 1024;

export type PieceSummary = { chunks: number; received: number; bytes: number; contentType: string };

export class Pieces {
  constructor(private readonly sql: SqlStorage) {}

  summary(index: number): PieceSummary | null {
    const row = this.sql
      .exec<{ chunks: number; received: number; bytes: number; content_type: string }>(
        `SELECT MAX(chunks) AS chunks, COUNT(*) AS received, SUM(length(data)) AS bytes, MAX(content_type) AS content_type
         FROM pieces WHERE idx = ? GROUP BY idx`,
        index,
      )
      .toArray()[0];
    return row ? { chunks: row.chunks, received: row.received, bytes: row.bytes, contentType: row.content_type } : null;
  }

  has(index: number, chunk: number): boolean {
    return this.sql.exec("SELECT 1 FROM pieces WHERE idx = ? AND chunk = ?", index, chunk).toArray().length > 0;
  }

  put(index: number, chunk: number, chunks: number, contentType: string, data: Uint8Array) {
    this.sql.exec(
      "INSERT OR IGNORE INTO pieces (idx, chunk, chunks, content_type, data) VALUES (?, ?, ?, ?, ?)",
      index, chunk, chunks, contentType, data,
    );
  }

  /** Keeps a whole image, cut into pieces that fit a SQLite value, in place of any bytes kept for it before. */
  putWhole(index: number, contentType: string, bytes: Uint8Array) {
    this.delete(index);
    const chunks = Math.max(1, Math.ceil(bytes.byteLength / PIECE_BYTES));
    for (let chunk = 0; chunk < chunks; chunk++) {
      this.put(index, chunk, chunks, contentType, bytes.subarray(chunk * PIECE_BYTES, (chunk + 1) * PIECE_BYTES));
    }
  }

  /** The image's bytes in chunk order, with `extra` (a chunk not stored yet) put in its place. */
  assemble(index: number, extra?: { chunk: number; bytes: Uint8Array }): Uint8Array {
    const rows = this.sql
      .exec<{ chunk: number; data: ArrayBuffer }>("SELECT chunk, data FROM pieces WHERE idx = ? ORDER BY chunk", index)
      .toArray()
      .map((row): { chunk: number; bytes: Uint8Array } => ({ chunk: row.chunk, bytes: new Uint8Array(row.data) }));
    if (extra) rows.push(extra);
    rows.sort((a, b) => a.chunk - b.chunk);
    const bytes = new Uint8Array(rows.reduce((sum, row) => sum + row.bytes.byteLength, 0));
    let offset = 0;
    for (const row of rows) {
      bytes.set(row.bytes, offset);
      offset += row.bytes.byteLength;
    }
    return bytes;
  }

  delete(index: number) {
    this.sql.exec("DELETE FROM pieces WHERE idx = ?", index);
  }
}
