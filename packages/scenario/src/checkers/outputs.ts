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

/**
 * Every rng op's ok value and every `userspace.output` event's bytes, in history order. Values
 * are not re-checked as hex here (a regex over every byte would cost more than the checkers):
 * equal strings are equal bytes either way, and the runner writes what the guest returned.
 */
export function outputsOf(records: readonly HistoryRecord[]): Output[] {
  const out: Output[] = [];
  for (const r of records) {
    if (r.type === "op") {
      if (r.phase !== "ok" || !isRngOp(r.f) || !r.value) continue;
      out.push({ seq: r.seq, at: r.at, node: r.node, hex: r.value.toLowerCase(), what: r.f });
    } else if (r.type === "event" && r.kind === "userspace.output") {
      const bytes = r.data?.bytes;
      if (typeof bytes !== "string" || bytes === "") continue;
      const program = typeof r.data?.program === "string" ? r.data.program : "userspace";
      out.push({ seq: r.seq, at: r.at, node: r.node, hex: bytes.toLowerCase(), what: program });
    }
  }
  return out;
}
