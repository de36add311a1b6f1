import { ApiError } from "../errors.js";

/** Where a newest-first page ended: the last row's creation time, then its id for ties. */
export type PageCursor = { createdAt: number; id: string };

export const encodeCursor = (row: PageCursor) => btoa(JSON.stringify({ createdAt: row.createdAt, id: row.id }));

export function decodeCursor(cursor: string): PageCursor {
  try {
    const parsed = JSON.parse(atob(cursor)) as PageCursor;
    if (typeof parsed.createdAt === "number" && typeof parsed.id === "string") return parsed;
  } catch {
    // reported below
  }
  throw new ApiError("validation_failed", "cursor is not valid", [{ path: "cursor", message: "use nextCursor from a previous page" }]);
}
