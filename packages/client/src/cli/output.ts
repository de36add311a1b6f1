import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import Table from "cli-table3";
import { EaselError } from "../errors.js";

/** What the API answered, as --json prints it. */
export const print = (value: unknown) => console.log(JSON.stringify(value, null, 2));

export function table(head: string[], rows: (string | number)[][]): string {
  const rendered = new Table({ head, style: { head: [], border: [] } });
  rendered.push(...rows.map((row) => row.map(String)));
  return rendered.toString();
}

const EXTENSIONS = new Map([["image/png", "png"], ["image/jpeg", "jpg"], ["image/webp", "webp"]]);

/** Saves an image from its display URL (presigned or signed: no key needed) as `{dir}/{jobId}-{index}.{ext}`. */
export async function saveImage(dir: string, jobId: string, image: { index: number; url: string; contentType: string }): Promise<string> {
  const response = await fetch(image.url);
  if (!response.ok) throw new EaselError("download_failed", `image ${image.index} of ${jobId}: GET answered ${response.status}`, response.status);
  await mkdir(dir, { recursive: true });
  const path = join(dir, `${jobId}-${image.index}.${EXTENSIONS.get(image.contentType) ?? "bin"}`);
  await writeFile(path, new Uint8Array(await response.arrayBuffer()));
  return path;
}

/** An ISO time as a table shows it: `2026-01-02 03:04:05`. */
export const timestamp = (iso: string | null) => (iso ? iso.replace("T", " ").slice(0, 19) : "");

export const duration = (ms: number | null) => (ms === null ? "" : ms < 10_000 ? `${(ms / 1000).toFixed(2)} s` : `${Math.round(ms / 1000)} s`);
