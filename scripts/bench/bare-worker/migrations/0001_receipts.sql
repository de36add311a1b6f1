-- One row per webhook received: the bench counts rows per image index to find lost and doubled images.
CREATE TABLE receipts (
  webhook_id TEXT PRIMARY KEY,
  job_id TEXT NOT NULL,
  idx INTEGER NOT NULL
);
CREATE INDEX receipts_job ON receipts (job_id);
