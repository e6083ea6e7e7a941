import type { ValidFault } from "../spec.js";
import { attackerBytes } from "./attacker.js";

/** VMGENID_SIZE (drivers/virt/vmgenid.c): the generation id is a 16-byte GUID. */
export const VMGENID_SIZE = 16;

/** What the hypervisor does with one VM-generation change of a guest. */
export type VmgenidNotifyPlan =
  | { drop: true }
  | {
      drop: false;
      /** Wait this long before the Notify(0x80) (0 = at once). */
      delayMs: number;
      /** How many Notify(0x80) to send (2 for vmgenid.duplicate). */
      times: number;
      /** Leave the id as it was before notifying (vmgenid.unchanged). */
      unchangedId: boolean;
      /** Write this id instead of a fresh one (malicious: attacker-known). */
      id?: Uint8Array;
    };

/**
 * Folds the active faults into the plan for one generation change:
 * - vmgenid.lost: no Notify at all; the guest never learns it was cloned.
 * - vmgenid.delay: the Notify comes delayMs late (the largest delay wins); the guest runs on its
 *   parent's CRNG state meanwhile.
 * - vmgenid.duplicate: two Notify; vmgenid_notify() (drivers/virt/vmgenid.c) copies next_id
 *   into this_id and returns early when memcmp finds it unchanged, so the second is a no-op.
 * - vmgenid.unchanged: a Notify whose id did not change: the same early return, so no
 *   add_vmfork_randomness() and no NEW_VMGENID uevent.
 * - malicious: the id written is attackerBytes("vmgenid", 16, counter).
 */
export function vmgenidNotifyPlan(faults: readonly ValidFault[], counter = 0): VmgenidNotifyPlan {
  let lost = false;
  let delayMs = 0;
  let times = 1;
  let unchangedId = false;
  let id: Uint8Array | undefined;
  for (const f of faults) {
    switch (f.kind) {
      case "vmgenid.lost":
        lost = true;
        break;
      case "vmgenid.delay":
        delayMs = Math.max(delayMs, f.params.delayMs);
        break;
      case "vmgenid.duplicate":
        times = 2;
        break;
      case "vmgenid.unchanged":
        unchangedId = true;
        break;
      case "malicious":
        id = attackerBytes("vmgenid", VMGENID_SIZE, counter);
        break;
    }
  }
  if (lost) return { drop: true };
  const plan: VmgenidNotifyPlan = { drop: false, delayMs, times, unchangedId };
  if (id !== undefined && !unchangedId) plan.id = id;
  return plan;
}
