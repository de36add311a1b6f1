const BASE_DELAY_MS = 1_000;
const MAX_DELAY_MS = 5 * 60_000;

/** Exponential backoff with jitter: 1 s, 2 s, 4 s … capped at 5 minutes. */
export function nextAttemptAt(attempts: number, now = Date.now()): number {
  const delay = Math.min(MAX_DELAY_MS, BASE_DELAY_MS * 2 ** Math.min(attempts, 20));
  return now + delay / 2 + Math.random() * (delay / 2);
}
