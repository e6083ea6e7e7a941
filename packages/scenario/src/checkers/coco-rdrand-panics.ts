import { shortHex } from "../hex.js";
import type { HistoryRecord } from "../history.js";
import { guestsOf } from "./guests.js";
import { outputsOf } from "./outputs.js";
import { type CheckContext, type CheckResult, result, type Violation, when } from "./types.js";

export const COCO_RDRAND_PANICS = "coco-rdrand-panics";

/**
 * RDRAND modes that make cc_random_init() (arch/x86/coco/core.c) panic with "RDRAND is
 * defective.": arch_get_random_longs() returns 0 when there is no RDRAND or it keeps failing
 * (CF=0 through all its retries). A stuck RDRAND answers CF=1 and a flaky one usually succeeds
 * within the retries, so this checker does not require either to panic.
 */
const BROKEN = new Set(["absent", "fail"]);

/** A panic shows as the guest's `panic` event or its hypervisor's vm.state "panicked". */
const isPanic = (r: HistoryRecord): r is Extract<HistoryRecord, { type: "event" }> =>
  r.type === "event" &&
  (r.kind === "panic" || (r.kind === "vm.state" && r.data?.state === "panicked"));

/**
 * A CoCo guest whose RDRAND is absent or failing panics at boot and never hands out a byte:
 * one violation per such guest without a panic, one per such guest that served bytes.
 */
export function cocoRdrandPanics(
  records: readonly HistoryRecord[],
  _ctx: CheckContext,
): CheckResult {
  const broken = [...guestsOf(records).values()].filter(
    (g) => g.facts?.coco === true && BROKEN.has(g.facts.rdrand),
  );
  if (broken.length === 0) return result(COCO_RDRAND_PANICS, []);
  const names = new Set(broken.map((g) => g.node));
  const panicked = new Set<string>();
  for (const r of records) if (isPanic(r) && names.has(r.node)) panicked.add(r.node);
  const outputs = outputsOf(records).filter((o) => names.has(o.node));

  const violations: Violation[] = [];
  for (const g of broken) {
    const what = `${g.node} (coco, rdrand=${g.facts!.rdrand})`;
    if (!panicked.has(g.node))
      violations.push({
        message: `${what} never panicked (known since ${when(g.record.at)}); cc_random_init must panic("RDRAND is defective.")`,
        seqs: [g.record.seq],
      });
    const served = outputs.filter((o) => o.node === g.node);
    const first = served[0];
    if (first)
      violations.push({
        message:
          `${what} served ${first.hex.length >> 1} bytes ${shortHex(first.hex)} from ${first.what} at ${when(first.at)}` +
          (served.length > 1 ? `; ${served.length} outputs in all` : ""),
        seqs: served.map((o) => o.seq),
      });
  }
  return result(COCO_RDRAND_PANICS, violations);
}
