import { assemblerFor } from "../assembler/assembler-for.js";
import { isFinalStatus } from "../../schema/contract/index.js";
import type { JobRow } from "../../schema/d1.js";

/** Seconds to hold for `Prefer: wait` or `wait=N` (RFC 7240), capped; null when not asked (or `respond-async` is). */
export function preferredWaitSeconds(header: string | undefined, maxSeconds: number): number | null {
  if (!header) return null;
  const preferences = header.split(",").map((token) => token.trim().toLowerCase());
  if (preferences.includes("respond-async")) return null;
  for (const preference of preferences) {
    const match = preference.match(/^wait(?:\s*=\s*"?(\d{1,6})"?)?$/);
    if (match) return Math.min(match[1] === undefined ? maxSeconds : Number(match[1]), maxSeconds);
  }
  return null;
}

/**
 * Holds until the job ends or `seconds` pass, on the job's own live events (the JobAssembler
 * sends `end` once the ending is in D1), so no polling.
 */
export async function waitForJobEnd(env: Env, job: JobRow, seconds: number): Promise<void> {
  if (seconds <= 0 || isFinalStatus(job.status)) return;
  // Past every event: the stream carries nothing but its final `end`.
  const stream = await assemblerFor(env, job.id).events(Number.MAX_SAFE_INTEGER, job.status);
  const reader = stream.getReader();
  const decoder = new TextDecoder();
  let timer: ReturnType<typeof setTimeout> | null = null;
  const timeUp = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, seconds * 1000);
  });
  const ended = (async () => {
    let text = "";
    for (let read = await reader.read(); !read.done; read = await reader.read()) {
      text += decoder.decode(read.value, { stream: true });
      if (/^event: end$/m.test(text)) return;
    }
  })();
  try {
    await Promise.race([ended, timeUp]);
  } finally {
    clearTimeout(timer);
    await reader.cancel().catch(() => undefined);
  }
}
