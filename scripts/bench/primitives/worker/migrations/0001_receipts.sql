-- The bare Worker's D1 table (scripts/bench/bare-worker), so d1-insert costs what its insert costs.
CREATE TABLE receipts (
  webhook_id TEXT PRIMARY KEY,
  job_id TEXT NOT NULL,
  idx INTEGER NOT NULL
);
CREATE INDEX receipts_job ON receipts (job_id);
