import { DurableObject } from "cloudflare:workers";

// Far past the bench's end, so no alarm runs while it measures.
const ALARM_DELAY_MS = 60 * 60 * 1000;

/** A job's Durable Object reduced to the calls a webhook makes of it; its table is the bare Worker's. */
export class ProbeObject extends DurableObject<Env> {
  private alarmsSet = 0;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    ctx.storage.sql.exec("CREATE TABLE IF NOT EXISTS receipts (webhook_id TEXT PRIMARY KEY, idx INTEGER NOT NULL)");
  }

  nothing(): void {}

  insert(webhookId: string, index: number): void {
    this.ctx.storage.sql.exec("INSERT OR IGNORE INTO receipts (webhook_id, idx) VALUES (?, ?)", webhookId, index);
  }

  /** A new time on every call, so every call writes the alarm. */
  async alarmLater(): Promise<void> {
    await this.ctx.storage.setAlarm(Date.now() + ALARM_DELAY_MS + this.alarmsSet++);
  }

  // setAlarm refuses a class without an alarm handler.
  override async alarm(): Promise<void> {}
}
