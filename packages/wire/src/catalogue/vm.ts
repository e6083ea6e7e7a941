import { type Static, Type } from "@sinclair/typebox";
import { Enum, NodeId, Obj, ReqId, Tag, U32 } from "./common.js";

/*
 * VM lifecycle. The CLI asks the host, the host routes to the VM's hypervisor, and the hypervisor
 * tells the guest process (pause/resume freeze its virtual clock, stop asks for a clean
 * shutdown). Every request is answered with `vm.state`.
 */

/** client → host → hypervisor: boot a defined but stopped VM. */
export const VmStart = Obj({ t: Tag("vm.start"), id: ReqId, vm: NodeId });
export type VmStart = Static<typeof VmStart>;

/** client → host → hypervisor → guest: clean shutdown; the hypervisor kills after `timeoutMs`. */
export const VmStop = Obj({
  t: Tag("vm.stop"),
  id: ReqId,
  vm: NodeId,
  timeoutMs: Type.Optional(U32),
});
export type VmStop = Static<typeof VmStop>;

/** client → host → hypervisor: stop then start (a cold reboot: fresh boot_params and seed). */
export const VmRestart = Obj({ t: Tag("vm.restart"), id: ReqId, vm: NodeId });
export type VmRestart = Static<typeof VmRestart>;

/** client → host → hypervisor → guest: freeze the guest (vCPUs and virtual clock stop). */
export const VmPause = Obj({ t: Tag("vm.pause"), id: ReqId, vm: NodeId });
export type VmPause = Static<typeof VmPause>;

/** client → host → hypervisor → guest: continue a paused guest. */
export const VmResume = Obj({ t: Tag("vm.resume"), id: ReqId, vm: NodeId });
export type VmResume = Static<typeof VmResume>;

/** client → host → hypervisor: kill the guest process at once (no shutdown path runs). */
export const VmKill = Obj({ t: Tag("vm.kill"), id: ReqId, vm: NodeId });
export type VmKill = Static<typeof VmKill>;

export const VmPhase = Enum([
  "stopped",
  "starting",
  "running",
  "paused",
  "stopping",
  "crashed",
  "panicked",
]);

/** host/hypervisor/guest → requester, reply to every vm.* request and `snap.restore`. */
export const VmState = Obj({
  t: Tag("vm.state"),
  re: ReqId,
  vm: NodeId,
  state: VmPhase,
  /** OS pid of the guest process while it exists. */
  pid: Type.Optional(U32),
});
export type VmState = Static<typeof VmState>;
