import type { HistoryRecord } from "../history.js";
import { guestsOf } from "./guests.js";
import { type CheckContext, type CheckResult, result, type Violation, when } from "./types.js";

export const VMFORK_DELIVERED = "vmfork-delivered";

/**
 * Every clone whose vmgenid mode is notify or counter gets a `vmfork` event on its own node by
 * the end of the run (add_vmfork_randomness ran: the ACPI Notify(0x80) arrived with a new id, or
 * the polled generation counter moved). The event may be recorded before the clone's `node`
 * record (two streams), so any vmfork on that node counts.
 */
export function vmforkDelivered(
  records: readonly HistoryRecord[],
  _ctx: CheckContext,
): CheckResult {
  const forked = new Set<string>();
  const cloneOps = new Map<string, number>();
  for (const r of records) {
    if (r.type === "event" && r.kind === "vmfork") forked.add(r.node);
    else if (r.type === "op" && r.f === "clone" && r.phase === "ok" && r.value)
      for (const id of r.value.split(",")) cloneOps.set(id.trim(), r.seq);
  }
  const violations: Violation[] = [];
  for (const g of guestsOf(records).values()) {
    if (g.cloneOf === undefined || forked.has(g.node)) continue;
    const mode = g.facts?.vmgenid;
    if (mode !== "notify" && mode !== "counter") continue;
    const op = cloneOps.get(g.node);
    violations.push({
      message: `clone ${g.node} of ${g.cloneOf} (vmgenid=${mode}, cloned at ${when(g.record.at)}) got no vmfork event by the end of the run`,
      seqs: op === undefined ? [g.record.seq] : [op, g.record.seq].sort((a, b) => a - b),
    });
  }
  return result(VMFORK_DELIVERED, violations);
}
