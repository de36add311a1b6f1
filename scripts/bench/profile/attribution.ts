import type { CallFrame, CpuProfile } from "./inspector.js";

export type Share = { name: string; us: number };
export type Attribution = { busyUs: number; byModule: Share[]; byEaselFunction: Share[] };

// esbuild marks where each module starts in wrangler's bundle with a comment line holding its path.
const MODULE_MARKER = /^\/\/ (\S+\.[cm]?[jt]s)$/;
const OUR_CODE = /^(workers|schema)\//;

/** The module of each line of a bundle: the start lines of its modules, in order. */
function moduleStarts(source: string): { line: number; path: string }[] {
  const starts: { line: number; path: string }[] = [];
  source.split("\n").forEach((text, line) => {
    const marker = MODULE_MARKER.exec(text);
    if (marker) starts.push({ line, path: marker[1]! });
  });
  return starts;
}

/** A package's name for its files, or the file itself for Easel's own. */
function moduleName(path: string): string {
  const inPackage = /(?:^|\/)node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(path);
  return inPackage ? inPackage[1]! : path.replace(/^(\.\.\/)+/, "");
}

/**
 * Self time by module (Easel's files one by one, packages as a whole, workerd's own JS and V8's
 * built-ins apart) and inclusive time of Easel's functions, over the busy samples of `profile`.
 * A sample weighs the time since the one before, up to twice `intervalUs`: workerd's sampler
 * stops while the thread is out of the isolate (waiting, or in its own I/O), and such a gap is no
 * more the sampled function's time than anything else's.
 */
export function attribute(profile: CpuProfile, sources: Map<string, string>, intervalUs: number): Attribution {
  const starts = new Map([...sources].map(([scriptId, source]) => [scriptId, moduleStarts(source)]));
  const moduleOf = (frame: CallFrame): string => {
    if (frame.functionName === "(program)" || frame.functionName === "(garbage collector)") return `V8 ${frame.functionName}`;
    if (!frame.url) return "V8 and workerd built-ins (fetch, Response, Headers, SQLite, …)";
    if (frame.url.startsWith("cloudflare-internal:") || frame.url.startsWith("node-internal:")) return `workerd ${frame.url.split(":")[1]}`;
    const marks = starts.get(frame.scriptId) ?? [];
    let found = "the bundle's glue";
    for (const mark of marks) {
      if (mark.line > frame.lineNumber) break;
      found = moduleName(mark.path);
    }
    return found;
  };

  const nodes = new Map(profile.nodes.map((node) => [node.id, node]));
  const parents = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parents.set(child, node.id);
  const modules = new Map<string, number>();
  const functions = new Map<string, number>();
  const add = (into: Map<string, number>, key: string, us: number) => into.set(key, (into.get(key) ?? 0) + us);
  let busyUs = 0;

  profile.samples.forEach((sampled, sample) => {
    const leaf = nodes.get(sampled)!;
    if (leaf.callFrame.functionName === "(idle)") return;
    const us = Math.min(profile.timeDeltas[sample] ?? 0, 2 * intervalUs);
    busyUs += us;
    add(modules, moduleOf(leaf.callFrame), us);
    const onStack = new Set<string>();
    for (let id: number | undefined = sampled; id !== undefined; id = parents.get(id)) {
      const frame = nodes.get(id)!.callFrame;
      const module = moduleOf(frame);
      if (OUR_CODE.test(module) && frame.functionName) onStack.add(`${frame.functionName} (${module})`);
    }
    for (const key of onStack) add(functions, key, us);
  });

  const sorted = (shares: Map<string, number>) => [...shares].map(([name, us]) => ({ name, us })).sort((a, b) => b.us - a.us);
  return { busyUs, byModule: sorted(modules), byEaselFunction: sorted(functions) };
}
