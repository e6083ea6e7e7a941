import { isHex, shortHex } from "../hex.js";
import type { EventRecord, HistoryRecord } from "../history.js";
import { type CheckContext, type CheckResult, result, type Violation, when } from "./types.js";

export const UNIQUE_BOOT_SEEDS = "unique-boot-seeds";

/**
 * No SETUP_RNG_SEED value (the hypervisor's `boot.seed` event, data.seed) is handed out twice,
 * over all guests, boots and kexecs: a replayed or zeroed seed credits the same "entropy" to
 * two kernels. One violation per seed value that repeats, naming every boot that got it.
 */
export function uniqueBootSeeds(
  records: readonly HistoryRecord[],
  _ctx: CheckContext,
): CheckResult {
  const bySeed = new Map<string, EventRecord[]>();
  for (const r of records) {
    if (r.type !== "event" || r.kind !== "boot.seed") continue;
    const seed = r.data?.seed;
    if (typeof seed !== "string" || seed === "") continue;
    const hex = seed.toLowerCase();
    if (!isHex(hex)) continue;
    const list = bySeed.get(hex);
    if (list) list.push(r);
    else bySeed.set(hex, [r]);
  }
  const violations: Violation[] = [];
  for (const [seed, boots] of bySeed) {
    if (boots.length < 2) continue;
    const where = boots
      .map((b) => `${b.node} at ${when(b.at)} (policy ${String(b.data?.policy ?? "?")}, #${b.seq})`)
      .join(", ");
    violations.push({
      message: `boot seed ${shortHex(seed)} handed out ${boots.length} times: ${where}`,
      seqs: boots.map((b) => b.seq),
    });
  }
  return result(UNIQUE_BOOT_SEEDS, violations);
}
