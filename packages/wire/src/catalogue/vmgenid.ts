import { type Static, Type } from "@sinclair/typebox";
import { Bytes, Obj, ReqId, Tag, U64 } from "./common.js";

/** The VM Generation ID is a 128-bit value (Microsoft's "Virtual Machine Generation ID" spec). */
export const VMGENID_SIZE = 16;

/**
 * One-way. hypervisor → guest: ACPI `Notify(VGEN, 0x80)` on the vmgenid device after a restore
 * or clone; drivers/virt/vmgenid.c then re-reads the id. The guest may run between the resume and
 * this notify: that is the window the generation counter closes.
 */
export const VmgenidNotify = Obj({ t: Tag("vmgenid.notify"), event: Type.Literal(0x80) });
export type VmgenidNotify = Static<typeof VmgenidNotify>;

/** guest → hypervisor: read the 16-byte id from the device's memory. Reply: `vmgenid.id`. */
export const VmgenidRead = Obj({ t: Tag("vmgenid.read"), id: ReqId });
export type VmgenidRead = Static<typeof VmgenidRead>;

/** hypervisor → guest: the current generation id. */
export const VmgenidId = Obj({
  t: Tag("vmgenid.id"),
  re: ReqId,
  vmgenid: Bytes(VMGENID_SIZE, VMGENID_SIZE),
});
export type VmgenidId = Static<typeof VmgenidId>;

/**
 * guest → hypervisor: read the VMClock-style generation counter, which the guest polls before
 * serving every random request (no notify race). Reply: `gencounter.value`.
 */
export const GencounterRead = Obj({ t: Tag("gencounter.read"), id: ReqId });
export type GencounterRead = Static<typeof GencounterRead>;

/** hypervisor → guest: the counter; it changes whenever the VM was restored or cloned. */
export const GencounterValue = Obj({ t: Tag("gencounter.value"), re: ReqId, counter: U64 });
export type GencounterValue = Static<typeof GencounterValue>;
