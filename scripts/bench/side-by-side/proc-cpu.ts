import { execFileSync } from "node:child_process";
import { readFileSync, readdirSync } from "node:fs";

/**
 * CPU time from /proc: utime+stime of a process and all its descendants (wrangler's node and its
 * workerd), and the whole machine's busy time, in clock ticks. Only processes alive at both
 * samples count, which holds for the long-lived trees measured here.
 */

const TICKS_PER_SECOND = Number(execFileSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).trim()) || 100;

type ProcessTicks = { ppid: number; ticks: number };

function readProcess(pid: number): ProcessTicks | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // Fields after the command name, which may itself hold spaces and parentheses: state, ppid, … utime (14th), stime (15th).
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return { ppid: Number(fields[1]), ticks: Number(fields[11]) + Number(fields[12]) };
  } catch {
    return undefined; // gone between the listing and the read
  }
}

function processTable(): Map<number, ProcessTicks> {
  const table = new Map<number, ProcessTicks>();
  for (const name of readdirSync("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    const entry = readProcess(Number(name));
    if (entry) table.set(Number(name), entry);
  }
  return table;
}

function treeTicks(table: Map<number, ProcessTicks>, root: number): number {
  const children = new Map<number, number[]>();
  for (const [pid, { ppid }] of table) children.set(ppid, [...(children.get(ppid) ?? []), pid]);
  let total = 0;
  const pending = [root];
  while (pending.length) {
    const pid = pending.pop()!;
    total += table.get(pid)?.ticks ?? 0;
    pending.push(...(children.get(pid) ?? []));
  }
  return total;
}

function machineBusyTicks(): number {
  const [, ...fields] = readFileSync("/proc/stat", "utf8").split("\n")[0]!.trim().split(/\s+/);
  const [user, nice, system, , , irq, softirq, steal] = fields.map(Number);
  return user! + nice! + system! + irq! + softirq! + (steal ?? 0);
}

export type CpuSample = { atMs: number; machineBusy: number; trees: Record<string, number> };

/** One reading of each named process tree, and of the machine. */
export function sampleCpu(roots: Record<string, number>): CpuSample {
  const table = processTable();
  const trees = Object.fromEntries(Object.entries(roots).map(([name, pid]) => [name, treeTicks(table, pid)]));
  return { atMs: performance.now(), machineBusy: machineBusyTicks(), trees };
}

const ticksToMs = (ticks: number) => (ticks * 1000) / TICKS_PER_SECOND;

/** CPU ms the named tree used between two samples. */
export const treeCpuMs = (before: CpuSample, after: CpuSample, name: string) => ticksToMs(after.trees[name]! - before.trees[name]!);

/** Busy CPU of everything outside the `own` tree between two samples, in % of one core. */
export function othersPercent(before: CpuSample, after: CpuSample, own: string): number {
  const othersTicks = after.machineBusy - before.machineBusy - (after.trees[own]! - before.trees[own]!);
  return (ticksToMs(Math.max(0, othersTicks)) / (after.atMs - before.atMs)) * 100;
}
