import { and, eq, lt, or, type SQL } from "drizzle-orm";
import type { AnySQLiteColumn } from "drizzle-orm/sqlite-core";
import { ApiError } from "../errors.js";

/** Where a newest-first page ended: the last row's creation time, then its id for ties. */
export type PageCursor = { createdAt: number; id: string };

const encodeCursor = (row: PageCursor) => btoa(JSON.stringify({ createdAt: row.createdAt, id: row.id }));

function decodeCursor(cursor: string): PageCursor {
  try {
    const parsed = JSON.parse(atob(cursor)) as PageCursor;
    if (typeof parsed.createdAt === "number" && typeof parsed.id === "string") return parsed;
  } catch {
    // reported below
  }
  throw new ApiError("validation_failed", "cursor is not valid", [{ path: "cursor", message: "use nextCursor from a previous page" }]);
}

/** The condition for the rows after `cursor` in newest-first order (creation time, then id); none without a cursor. */
export function afterCursor(columns: { createdAt: AnySQLiteColumn; id: AnySQLiteColumn }, cursor: string | undefined): SQL | undefined {
  if (!cursor) return undefined;
  const after = decodeCursor(cursor);
  return or(lt(columns.createdAt, after.createdAt), and(eq(columns.createdAt, after.createdAt), lt(columns.id, after.id)));
}

/** A page from the `limit + 1` rows read for it: the first `limit`, and the cursor of the next page when there is one. */
export function pageOf<Row extends PageCursor>(rows: Row[], limit: number): { rows: Row[]; nextCursor: string | null } {
  const page = rows.slice(0, limit);
  return { rows: page, nextCursor: rows.length > limit ? encodeCursor(page[page.length - 1]!) : null };
}
