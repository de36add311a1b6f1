import { createHash, randomBytes } from "node:crypto";
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { inject } from "vitest";
import { EaselClient, type JobEvent } from "@easel/client";

export const stack = () => inject("e2e");

/** The stack's API as its operator (the admin token): keys, reports. */
export const adminClient = () => new EaselClient({ baseUrl: stack().workerUrl, adminToken: stack().adminToken });

/** A client with a fresh API key of its own owner, so files never see each other's jobs. */
export async function clientFor(owner: string): Promise<EaselClient> {
  const { key } = await adminClient().keys.create({ owner: `${owner}-${randomBytes(4).toString("hex")}` });
  return new EaselClient({ baseUrl: stack().workerUrl, apiKey: key });
}

/** Every event of a job's stream, until the stream closes. */
export async function collectEvents(api: EaselClient, jobId: string, lastEventId?: number): Promise<JobEvent[]> {
  const events: JobEvent[] = [];
  for await (const event of api.jobs.events(jobId, { lastEventId })) events.push(event);
  return events;
}

type EventData = { [Event in JobEvent as Event["type"]]: Event["data"] };

/** The event's data, when it is an event of that name. */
export function dataOf<Name extends keyof EventData>(event: JobEvent | undefined, name: Name): EventData[Name] {
  if (event?.type !== name) throw new Error(`expected a ${name} event, got ${event ? event.type : "none"}`);
  return event.data as EventData[Name];
}

/** Reads a stream until `until` matches an event; returns the events so far and leaves the stream open. */
export async function eventsUntil(stream: AsyncGenerator<JobEvent>, until: (event: JobEvent) => boolean): Promise<JobEvent[]> {
  const events: JobEvent[] = [];
  for (let next = await stream.next(); !next.done; next = await stream.next()) {
    events.push(next.value);
    if (until(next.value)) return events;
  }
  throw new Error(`the stream closed before the awaited event; got ${events.map((event) => event.type).join(", ")}`);
}

export const sha256Hex = (bytes: Uint8Array) => createHash("sha256").update(bytes).digest("hex");

/** Width and height from a PNG's IHDR chunk. */
export function pngSize(bytes: Uint8Array): { width: number; height: number } {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return { width: view.getUint32(16), height: view.getUint32(20) };
}

/** An image's bytes through the job's display URL: a presigned GET, or the Worker's own signed URL on a network volume. */
export async function fetchImage(url: string): Promise<Uint8Array> {
  const response = await fetch(url);
  if (!response.ok) throw new Error(`GET ${url} answered ${response.status}`);
  return new Uint8Array(await response.arrayBuffer());
}

export type ColumnFigures = { table: string; column: string; rows: number; blobs: number; longest: number };

/** The local D1 database's SQLite file, read-only, as wrangler dev keeps it. */
function withD1<T>(read: (db: DatabaseSync) => T): T {
  const directory = join(stack().wranglerState, "v3", "d1", "miniflare-D1DatabaseObject");
  const file = readdirSync(directory).find((name) => name.endsWith(".sqlite") && name !== "metadata.sqlite");
  if (!file) throw new Error(`no D1 database under ${directory}`);
  const db = new DatabaseSync(join(directory, file), { readOnly: true });
  try {
    return read(db);
  } finally {
    db.close();
  }
}

/** Every column of every table in D1: how many BLOBs it holds and its longest value in bytes. */
export function scanD1(): ColumnFigures[] {
  return withD1((db) => {
    const tables = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name NOT LIKE '_cf_%'").all() as { name: string }[];
    return tables.flatMap(({ name: table }) =>
      (db.prepare(`SELECT name FROM pragma_table_info('${table}')`).all() as { name: string }[]).map(({ name: column }) => {
        const figures = db
          .prepare(`SELECT COUNT(*) AS rows, COALESCE(SUM(typeof("${column}") = 'blob'), 0) AS blobs, COALESCE(MAX(length(CAST("${column}" AS BLOB))), 0) AS longest FROM "${table}"`)
          .get() as { rows: number; blobs: number; longest: number };
        return { table, column, ...figures };
      }),
    );
  });
}

export function d1ImageRows(jobId: string): Record<string, unknown>[] {
  return withD1((db) => db.prepare("SELECT * FROM images WHERE job_id = ? ORDER BY idx").all(jobId) as Record<string, unknown>[]);
}
