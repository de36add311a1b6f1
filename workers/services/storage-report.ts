import type { JobType } from "../../schema/d1.js";

export type StorageFigures = {
  images: number;
  s3Only: number;
  bytesInD1: number;
  rate: number;
  metadataBytesPerImage: number;
};

// Any value in these tables that is a BLOB, or text longer than any metadata field can be
// (a base64 image is), counts as image data held in D1. The schema has no column meant for
// either, so this measures regressions rather than trusting the schema.
const SUSPECT_TEXT_LENGTH = 4096;
const IMAGE_COLUMNS = ["id", "job_id", "idx", "key", "size", "content_type", "width", "height", "sha256", "source", "created_at"] as const;

const heldBytes = (column: string) =>
  `CASE WHEN typeof(i.${column}) = 'blob' OR length(i.${column}) > ${SUSPECT_TEXT_LENGTH} THEN length(CAST(i.${column} AS BLOB)) ELSE 0 END`;
const storedBytes = (column: string) => `coalesce(length(CAST(i.${column} AS BLOB)), 0)`;

/** The storage check legacy deployments ran by hand, as a query: how many images are stored S3-only, and how many image bytes sit in D1. */
export async function storageReport(db: D1Database) {
  const query = `
    SELECT j.type AS type,
           COUNT(*) AS images,
           SUM(CASE WHEN i.key <> '' AND (${IMAGE_COLUMNS.map(heldBytes).join(" + ")}) = 0 THEN 1 ELSE 0 END) AS s3Only,
           SUM(${IMAGE_COLUMNS.map(heldBytes).join(" + ")}) AS bytesInD1,
           SUM(${IMAGE_COLUMNS.map(storedBytes).join(" + ")}) AS rowBytes
    FROM images i JOIN jobs j ON j.id = i.job_id
    GROUP BY j.type`;
  const { results } = await db.prepare(query).all<{ type: JobType; images: number; s3Only: number; bytesInD1: number; rowBytes: number }>();
  const byType: Partial<Record<JobType, StorageFigures>> = {};
  let total = { images: 0, s3Only: 0, bytesInD1: 0, rowBytes: 0 };
  for (const row of results) {
    byType[row.type] = figures(row);
    total = { images: total.images + row.images, s3Only: total.s3Only + row.s3Only, bytesInD1: total.bytesInD1 + row.bytesInD1, rowBytes: total.rowBytes + row.rowBytes };
  }
  return { overall: figures(total), byType };
}

function figures(row: { images: number; s3Only: number; bytesInD1: number; rowBytes: number }): StorageFigures {
  return {
    images: row.images,
    s3Only: row.s3Only,
    bytesInD1: row.bytesInD1,
    rate: row.images === 0 ? 100 : Math.round((row.s3Only / row.images) * 10000) / 100,
    metadataBytesPerImage: row.images === 0 ? 0 : Math.round(row.rowBytes / row.images),
  };
}
