/**
 * An in-memory timer for work that can wait a moment (D1's next batch). Setting it writes nothing,
 * unlike the alarm, which goes to storage; it is lost if the object restarts, so whatever it runs
 * must also be covered by the alarm, later (d1-sync.ts: the backstop).
 */
export class Wakeup {
  private at: number | null = null;
  private timer: ReturnType<typeof setTimeout> | null = null;

  constructor(private readonly run: () => Promise<void>) {}

  /** Runs at `at`; a wake-up already set earlier stays (it finds nothing due and sets the next); null: none. */
  setTo(at: number | null) {
    if (at === null) return this.cancel();
    if (this.at !== null && this.at <= at) return;
    this.cancel();
    this.at = at;
    this.timer = setTimeout(() => {
      this.at = null;
      this.timer = null;
      this.run().catch((error) => console.error("a JobAssembler wake-up failed", error));
    }, Math.max(0, at - Date.now()));
  }

  cancel() {
    if (this.timer !== null) clearTimeout(this.timer);
    this.at = null;
    this.timer = null;
  }
}
