import { describe, expect, it } from "vitest";
import { attribute } from "../../scripts/bench/profile/attribution.js";
import type { CallFrame, CpuProfile } from "../../scripts/bench/profile/inspector.js";

// A bundle as wrangler's esbuild writes it: each module starts with a comment naming its path.
const BUNDLE = [
  "// ../node_modules/hono/dist/compose.js", // line 0
  "function compose() {}",
  "// workers/routes/webhooks.ts", // line 2
  "function route() {}",
  "// workers/assembler/state.ts", // line 4
  "function putImage() {}",
].join("\n");

const frame = (functionName: string, lineNumber: number, url = "index.js", scriptId = "10"): CallFrame => ({ functionName, scriptId, url, lineNumber });

// root → compose → route → putImage → route (recursion) and root → (idle), root → native fetch under route.
const PROFILE: CpuProfile = {
  nodes: [
    { id: 1, callFrame: frame("(root)", -1, "", "0"), children: [2, 6] },
    { id: 2, callFrame: frame("compose", 1), children: [3] },
    { id: 3, callFrame: frame("route", 3), children: [4, 7] },
    { id: 4, callFrame: frame("putImage", 5), children: [5] },
    { id: 5, callFrame: frame("route", 3), children: [] },
    { id: 6, callFrame: frame("(idle)", -1, "", "0"), children: [] },
    { id: 7, callFrame: frame("fetch", -1, "", "0"), children: [] },
  ],
  samples: [5, 4, 6, 7, 2, 3],
  timeDeltas: [100, 200, 5_000, 300, 400, 90_000],
};

describe("the profile's attribution", () => {
  // Sampled every 250 µs: a sample weighs at most 500 µs, whatever gap came before it.
  const attribution = attribute(PROFILE, new Map([["10", BUNDLE]]), 250);

  it("counts busy samples only, not the idle ones, and no sample for more than two intervals", () => {
    expect(attribution.busyUs).toBe(1_500);
  });

  it("gives self time to the module a bundled line comes from, a package as a whole, built-ins apart", () => {
    expect(attribution.byModule).toEqual([
      { name: "workers/routes/webhooks.ts", us: 600 },
      { name: "hono", us: 400 },
      { name: "V8 and workerd built-ins (fetch, Response, Headers, SQLite, …)", us: 300 },
      { name: "workers/assembler/state.ts", us: 200 },
    ]);
  });

  it("gives Easel's functions the time of everything they call, once per sample even when recursive", () => {
    expect(attribution.byEaselFunction).toEqual([
      { name: "route (workers/routes/webhooks.ts)", us: 1_100 },
      { name: "putImage (workers/assembler/state.ts)", us: 300 },
    ]);
  });
});
