import type { Schedule } from "./schedule.js";
import type { AssemblerState } from "./state.js";

/**
 * The JobAssembler's one alarm. The time last set is kept in memory, so the alarm is written only
 * when the next due time changes.
 */
export class Alarm {
  private setAt: number | null = null;

  constructor(private readonly storage: DurableObjectStorage) {}

  /** Reads the alarm as stored (when the object loads). */
  async load() {
    this.setAt = await this.storage.getAlarm();
  }

  /** The alarm fired and is spent: the next one must be set, whatever its time. */
  fired() {
    this.setAt = null;
  }

  async setTo(at: number | null) {
    if (at === this.setAt) return;
    if (at === null) await this.storage.deleteAlarm();
    else await this.storage.setAlarm(at);
    this.setAt = at;
  }

  /** Removes the alarm, whatever memory says (the storage was cleared). */
  async clear() {
    await this.storage.deleteAlarm();
    this.setAt = null;
  }
}

/** The earliest of the due work, the client's next webhook once D1 shows what it tells, and what D1 needs of the alarm (d1-sync.ts); null: nothing to do. */
export function nextAlarmAt(state: AssemblerState, schedule: Schedule, d1AlarmAt: number | null): number | null {
  if (!state.job()) return null;
  const clientWebhook = state.d1Lags() ? null : state.nextClientWebhook();
  const times = [schedule.next(), clientWebhook?.due_at ?? null, d1AlarmAt].filter((at): at is number => at !== null);
  return times.length ? Math.min(...times) : null;
}
