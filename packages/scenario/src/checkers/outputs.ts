import { isHex } from "../hex.js";
import type { HistoryRecord } from "../history.js";
import { isRngOp } from "./guests.js";

/** Bytes a guest handed to userspace, as the history recorded them. */
export interface Output {
  seq: number;
  at: number;
  node: string;
  /** Lower-case hex. */
  hex: string;
  /** "getrandom", "read" or the userspace program's name. */
  what: string;
}

/** Every rng op's ok value and every `userspace.output` event's bytes, in history order. */
export function outputsOf(records: readonly HistoryRecord[]): Output[] {
  const out: Output[] = [];
  for (const r of records) {
    if (r.type === "op") {
      if (r.phase !== "ok" || !isRngOp(r.f) || !r.value) continue;
      const hex = r.value.toLowerCase();
      if (isHex(hex)) out.push({ seq: r.seq, at: r.at, node: r.node, hex, what: r.f });
    } else if (r.type === "event" && r.kind === "userspace.output") {
      const bytes = r.data?.bytes;
      if (typeof bytes !== "string" || bytes === "") continue;
      const hex = bytes.toLowerCase();
      const program = typeof r.data?.program === "string" ? r.data.program : "userspace";
      if (isHex(hex)) out.push({ seq: r.seq, at: r.at, node: r.node, hex, what: program });
    }
  }
  return out;
}
