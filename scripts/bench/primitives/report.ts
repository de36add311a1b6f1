import { fixed } from "../side-by-side/stats.js";
import { BARE_WORKER, EASEL_FLOOR, perWebhookMs, primitiveRows, type Addition, type CpuSamples } from "./figures.js";
import { JOBS, type PrimitiveSizes } from "./primitives.js";

const signed = (ms: number) => `${ms >= 0 ? "+" : ""}${fixed(ms, 2)}`;
const formula = (additions: Addition[]) =>
  ["floor", ...additions.map(({ primitive, share }) => `Δ ${primitive}${share === 1 ? "" : ` / ${Math.round(1 / share)}`}`)].join(" + ");

/** The bench's markdown: one row per route, then the per-webhook sums computed from those rows. */
export function markdown(samples: CpuSamples, sizes: PrimitiveSizes): string {
  const rows = primitiveRows(samples);
  const bareMs = perWebhookMs(rows, BARE_WORKER);
  const easelMs = perWebhookMs(rows, EASEL_FLOOR);
  return [
    `Each route of a probe Worker (scripts/bench/primitives/worker) under \`wrangler dev\` takes ${sizes.requests} signed \`image\` webhooks from ${sizes.concurrency} connections (round robin over ${JOBS} job names, so as many Durable Objects) after a warm-up, routes in turn, ${sizes.repeats} repeats; CPU is utime+stime of wrangler's process tree (its node and workerd) from /proc, quiet before to quiet after, over the requests.`,
    "",
    "| route | what it does per request | CPU ms/request, median (range) | over floor (Δ) |",
    "| --- | --- | ---: | ---: |",
    ...rows.map((row) => `| ${row.name} | ${row.does} | **${fixed(row.medianMs, 2)}** (${fixed(row.minMs, 2)}–${fixed(row.maxMs, 2)}) | ${row.name === "floor" ? "–" : signed(row.overFloorMs)} |`),
    "",
    "Derived, not measured: arithmetic on the medians above (Δ: a route's \"over floor\").",
    "",
    "| per image webhook | arithmetic | CPU ms |",
    "| --- | --- | ---: |",
    `| bare Worker (Hono route → Durable Object RPC with a SQLite insert → D1 insert) | ${formula(BARE_WORKER)} | ${fixed(bareMs, 2)} |`,
    `| floor of Easel's design (verify, Durable Object, HEAD, D1 in batches of 8) | ${formula(EASEL_FLOOR)} | ${fixed(easelMs, 2)} |`,
    `| Easel's floor − bare Worker | | ${signed(easelMs - bareMs)} |`,
  ].join("\n");
}
