import { type Static, Type } from "@sinclair/typebox";
import { Bytes, Millis, NodeId, Obj, ReqId, Tag, U64 } from "./common.js";

/** Cap on a guest's serialized state (CRNG, pools, devices, clock): opaque to the wire. */
export const GUEST_STATE_MAX = 1 << 20;

/** Snapshot ids follow the node id rules (they name files in the run directory). */
export const SnapId = NodeId;

/**
 * client → host → hypervisor: snapshot a VM (paused for the copy, then resumed). `snapshot`
 * names it; absent = the hypervisor picks one. Reply: `snap.saved`.
 */
export const SnapSave = Obj({
  t: Tag("snap.save"),
  id: ReqId,
  vm: NodeId,
  snapshot: Type.Optional(SnapId),
});
export type SnapSave = Static<typeof SnapSave>;

/** hypervisor → host → client: the snapshot exists, `size` bytes, taken at guest time `vtimeMs`. */
export const SnapSaved = Obj({
  t: Tag("snap.saved"),
  re: ReqId,
  vm: NodeId,
  snapshot: SnapId,
  size: U64,
  vtimeMs: Millis,
});
export type SnapSaved = Static<typeof SnapSaved>;

/** client → host → hypervisor: replace VM `vm`'s running state with a snapshot. Reply: `vm.state`. */
export const SnapRestore = Obj({
  t: Tag("snap.restore"),
  id: ReqId,
  vm: NodeId,
  snapshot: SnapId,
});
export type SnapRestore = Static<typeof SnapRestore>;

/**
 * client → host → hypervisor: start a new VM `clone` from a snapshot of `vm` (taken now when
 * `snapshot` is absent), with a fresh vmgenid. Reply: `snap.cloned`.
 */
export const SnapClone = Obj({
  t: Tag("snap.clone"),
  id: ReqId,
  vm: NodeId,
  clone: NodeId,
  snapshot: Type.Optional(SnapId),
});
export type SnapClone = Static<typeof SnapClone>;

/** hypervisor → host → client: the clone is running. */
export const SnapCloned = Obj({
  t: Tag("snap.cloned"),
  re: ReqId,
  vm: NodeId,
  from: NodeId,
  snapshot: SnapId,
});
export type SnapCloned = Static<typeof SnapCloned>;

/** hypervisor → guest (paused): serialize your state. Reply: `guest.state`. */
export const GuestSave = Obj({ t: Tag("guest.save"), id: ReqId });
export type GuestSave = Static<typeof GuestSave>;

/** guest → hypervisor, reply to `guest.save`: opaque state bytes and the guest's virtual time. */
export const GuestState = Obj({
  t: Tag("guest.state"),
  re: ReqId,
  state: Bytes(GUEST_STATE_MAX, 1),
  vtimeMs: Millis,
});
export type GuestState = Static<typeof GuestState>;

/**
 * hypervisor → guest, instead of `boot.params` for a restored or cloned VM: resume from this
 * state. Reply: `ok`. The new vmgenid arrives afterwards via `vmgenid.notify`, like on real
 * hardware, so the duplicate-output window exists unless the counter is polled.
 */
export const GuestLoad = Obj({
  t: Tag("guest.load"),
  id: ReqId,
  state: Bytes(GUEST_STATE_MAX, 1),
  vtimeMs: Millis,
  /**
   * mode counter: the VMClock page as the hypervisor rewrote it before this resume (a bumped
   * vm_generation_counter), so the guest sees the new generation before its first output.
   */
  vmclockPage: Type.Optional(Bytes(4096, 112)),
});
export type GuestLoad = Static<typeof GuestLoad>;
