import { describe, expect, it } from "vitest";
import { BARE_WORKER, EASEL_FLOOR, perWebhookMs, primitiveRows, type CpuSamples } from "../../scripts/bench/primitives/figures.js";
import { markdown } from "../../scripts/bench/primitives/report.js";
import { primitiveRequests } from "../../scripts/bench/side-by-side/sizes.js";

// CPU ms per request, three repeats; medians: floor 2.0, do-sqlite 2.9, d1-insert 2.7, d1-batch-8 3.6, s3-head 2.6, webhook-verify 2.3.
const samples: CpuSamples = {
  floor: [2.1, 1.9, 2.0],
  "do-rpc": [2.6, 2.5, 2.7],
  "do-sqlite": [3.0, 2.8, 2.9],
  "do-alarm": [3.2, 3.3, 3.1],
  "d1-insert": [2.7, 2.6, 2.8],
  "d1-batch-8": [3.6, 3.7, 3.5],
  "s3-head": [2.6, 2.6, 2.6],
  "webhook-verify": [2.3, 2.2, 2.4],
};

describe("the primitives bench's figures", () => {
  it("give each route its median over repeats, its range, and its median less the floor's", () => {
    const rows = primitiveRows(samples);
    expect(rows.map((row) => row.name)).toEqual(Object.keys(samples));
    const sqlite = rows.find((row) => row.name === "do-sqlite")!;
    expect(sqlite).toMatchObject({ medianMs: 2.9, minMs: 2.8, maxMs: 3.0 });
    expect(sqlite.overFloorMs).toBeCloseTo(0.9);
    expect(rows[0]).toMatchObject({ name: "floor", medianMs: 2.0, overFloorMs: 0 });
  });

  it("add the floor once to each block's cost over it, a batch's shared by its 8 rows", () => {
    const rows = primitiveRows(samples);
    // floor + Δ do-sqlite + Δ d1-insert = 2.0 + 0.9 + 0.7
    expect(perWebhookMs(rows, BARE_WORKER)).toBeCloseTo(3.6);
    // floor + Δ do-sqlite + Δ s3-head + Δ webhook-verify + Δ d1-batch-8 / 8 = 2.0 + 0.9 + 0.6 + 0.3 + 1.6 / 8
    expect(perWebhookMs(rows, EASEL_FLOOR)).toBeCloseTo(4.0);
  });

  it("print the arithmetic beside its result", () => {
    const text = markdown(samples, { requests: 1000, repeats: 3, concurrency: 16 });
    expect(text).toContain("| floor + Δ do-sqlite + Δ d1-insert | 3.60 |");
    expect(text).toContain("| floor + Δ do-sqlite + Δ s3-head + Δ webhook-verify + Δ d1-batch-8 / 8 | 4.00 |");
    expect(text).toContain("| Easel's floor − bare Worker | | +0.40 |");
    expect(text).toContain("| d1-batch-8 | one D1 batch of one INSERT of 8 rows | **3.60** (3.50–3.70) | +1.60 |");
  });

  it("send 1000 requests per route and repeat unless BENCH_PRIMITIVE_REQUESTS says otherwise", () => {
    expect(primitiveRequests({})).toBe(1000);
    expect(primitiveRequests({ BENCH_PRIMITIVE_REQUESTS: "200" })).toBe(200);
    expect(() => primitiveRequests({ BENCH_PRIMITIVE_REQUESTS: "0" })).toThrow(/BENCH_PRIMITIVE_REQUESTS must be a whole number from 1/);
    expect(() => primitiveRequests({ BENCH_PRIMITIVE_REQUESTS: "lots" })).toThrow(/not "lots"/);
  });
});
