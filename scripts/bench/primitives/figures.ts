import { median } from "../side-by-side/stats.js";
import { PRIMITIVES, ROWS_PER_BATCH, type Primitive } from "./primitives.js";

/** CPU ms per request of each route, one value per repeat. */
export type CpuSamples = Record<Primitive, number[]>;

export type PrimitiveRow = { name: Primitive; does: string; medianMs: number; minMs: number; maxMs: number; overFloorMs: number };

/** Each route's median over repeats, its range, and its median less the floor's: what its block adds to a request. */
export function primitiveRows(samples: CpuSamples): PrimitiveRow[] {
  const floorMs = median(samples.floor);
  return PRIMITIVES.map(({ name, does }) => {
    const values = samples[name];
    const medianMs = median(values);
    return { name, does, medianMs, minMs: Math.min(...values), maxMs: Math.max(...values), overFloorMs: medianMs - floorMs };
  });
}

/** A block in a webhook's cost: the route's cost over the floor, times the share of it one webhook bears. */
export type Addition = { primitive: Primitive; share: number };

/** The bare Worker's webhook: the route, one Durable Object RPC with a SQLite insert, one D1 insert. */
export const BARE_WORKER: Addition[] = [
  { primitive: "do-sqlite", share: 1 },
  { primitive: "d1-insert", share: 1 },
];

/** The least Easel's design does per image webhook: verify, record in the Durable Object, HEAD the object, and an eighth of a D1 batch. */
export const EASEL_FLOOR: Addition[] = [
  { primitive: "do-sqlite", share: 1 },
  { primitive: "s3-head", share: 1 },
  { primitive: "webhook-verify", share: 1 },
  { primitive: "d1-batch-8", share: 1 / ROWS_PER_BATCH },
];

/** The floor's median once, plus each addition's share of its route's cost over the floor. */
export function perWebhookMs(rows: PrimitiveRow[], additions: Addition[]): number {
  const row = (name: Primitive) => {
    const found = rows.find((candidate) => candidate.name === name);
    if (!found) throw new Error(`no measured row for the ${name} route`);
    return found;
  };
  return additions.reduce((total, { primitive, share }) => total + share * row(primitive).overFloorMs, row("floor").medianMs);
}
