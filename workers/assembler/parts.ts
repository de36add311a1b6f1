import type { ObjectStore } from "../services/storage.js";
import type { Pieces } from "./pieces.js";
import type { Schedule } from "./schedule.js";
import type { AssemblerState } from "./state.js";

/** The JobAssembler's parts, as the modules that work on its job take them (taken anew for each call). */
export type AssemblerParts = {
  state: AssemblerState;
  pieces: Pieces;
  schedule: Schedule;
  store: ObjectStore;
  maxImageBytes: number;
  /** `ctx.storage.transactionSync`: writes together or not at all. */
  transaction: (writes: () => void) => void;
};
