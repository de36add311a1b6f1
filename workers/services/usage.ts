import type { UsageQuery, UsageReport, UsageRow } from "../../schema/contract/index.js";
import { ApiError } from "../errors.js";

const DAY_MS = 24 * 60 * 60 * 1000;
const MAX_DAYS = 366;
const day = (ms: number) => new Date(ms).toISOString().slice(0, 10);

/** Jobs, images and run time per API key and per UTC day of creation, over a range of days. */
export async function usageReport(db: D1Database, query: UsageQuery, now = Date.now()): Promise<UsageReport> {
  const to = query.to ?? day(now);
  const from = query.from ?? day(Date.parse(to) - 29 * DAY_MS);
  const start = Date.parse(from);
  const end = Date.parse(to) + DAY_MS;
  if (end <= start) throw new ApiError("validation_failed", "from is after to", [{ path: "from", message: "a day on or before to" }]);
  if (end - start > MAX_DAYS * DAY_MS) throw new ApiError("validation_failed", `the range spans more than ${MAX_DAYS} days`, [{ path: "from", message: `at most ${MAX_DAYS} days before to` }]);
  const { results } = await db
    .prepare(
      `SELECT strftime('%Y-%m-%d', j.created_at / 1000, 'unixepoch') AS day, j.api_key_id AS apiKeyId, j.owner AS owner,
              COUNT(*) AS jobs,
              COALESCE(SUM((SELECT COUNT(*) FROM images i WHERE i.job_id = j.id)), 0) AS images,
              COALESCE(SUM(CASE WHEN j.started_at IS NOT NULL AND j.completed_at IS NOT NULL THEN MAX(0, j.completed_at - j.started_at) ELSE 0 END), 0) AS runMs,
              COALESCE(SUM(j.runpod_execution_ms), 0) AS executionMs
       FROM jobs j
       WHERE j.created_at >= ?1 AND j.created_at < ?2 AND (?3 IS NULL OR j.owner = ?3)
       GROUP BY day, j.api_key_id, j.owner
       ORDER BY day, j.owner, j.api_key_id`,
    )
    .bind(start, end, query.owner ?? null)
    .all<UsageRow>();
  return { from, to, usage: results };
}
