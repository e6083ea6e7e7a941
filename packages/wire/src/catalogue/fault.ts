import { type Static, Type } from "@sinclair/typebox";
import { Key, Obj, OpenObject, ReqId, Tag, Text, U32 } from "./common.js";

/**
 * A fault to inject, validated here only for shape and size: `kind` names it (the faults package
 * owns the meaning), `target` selects where (a node id, "vm-1/virtio-rng", "*"), `params` is an
 * open, bounded object of its parameters.
 */
export const FaultSpec = Obj({
  kind: Key,
  target: Text(128, 1),
  params: OpenObject,
});
export type FaultSpec = Static<typeof FaultSpec>;

/** client → host, host → hypervisor: arm a fault. Reply: `fault.added` with its id. */
export const FaultAdd = Obj({ t: Tag("fault.add"), id: ReqId, spec: FaultSpec });
export type FaultAdd = Static<typeof FaultAdd>;

/** host/hypervisor → requester, reply to `fault.add`. */
export const FaultAdded = Obj({ t: Tag("fault.added"), re: ReqId, fault: U32 });
export type FaultAdded = Static<typeof FaultAdded>;

/** client → host, host → hypervisor: list armed faults. Reply: `fault.listed`. */
export const FaultList = Obj({ t: Tag("fault.list"), id: ReqId });
export type FaultList = Static<typeof FaultList>;

export const FaultEntry = Obj({ fault: U32, spec: FaultSpec, active: Type.Boolean() });
export type FaultEntry = Static<typeof FaultEntry>;

/** host/hypervisor → requester, reply to `fault.list`. */
export const FaultListed = Obj({
  t: Tag("fault.listed"),
  re: ReqId,
  faults: Type.Array(FaultEntry, { maxItems: 1024 }),
});
export type FaultListed = Static<typeof FaultListed>;

/** client → host, host → hypervisor: disarm one fault, or all when `fault` is absent. */
export const FaultClear = Obj({ t: Tag("fault.clear"), id: ReqId, fault: Type.Optional(U32) });
export type FaultClear = Static<typeof FaultClear>;

/** host/hypervisor → requester, reply to `fault.clear`: how many were disarmed. */
export const FaultCleared = Obj({ t: Tag("fault.cleared"), re: ReqId, cleared: U32 });
export type FaultCleared = Static<typeof FaultCleared>;
