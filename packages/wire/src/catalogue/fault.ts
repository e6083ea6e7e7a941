import { type Static, Type } from "@sinclair/typebox";
import { Key, Millis, NodeId, Obj, OpenObject, ReqId, Tag, Text, U32 } from "./common.js";

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

/**
 * client → host, host → hypervisor, hypervisor → guest: arm a fault. Reply: `fault.added` with
 * its id. The host numbers every fault; when it hands one to the process that applies it, it
 * passes that number as `fault` and the resolved `nodes`, so every process names it alike.
 * `forMs`: how long it stays armed (absent: until cleared).
 */
export const FaultAdd = Obj({
  t: Tag("fault.add"),
  id: ReqId,
  spec: FaultSpec,
  fault: Type.Optional(U32),
  nodes: Type.Optional(Type.Array(NodeId, { maxItems: 1024 })),
  forMs: Type.Optional(Millis),
});
export type FaultAdd = Static<typeof FaultAdd>;

/** host/hypervisor → requester, reply to `fault.add`. */
export const FaultAdded = Obj({ t: Tag("fault.added"), re: ReqId, fault: U32 });
export type FaultAdded = Static<typeof FaultAdded>;

/** client → host, host → hypervisor: list armed faults. Reply: `fault.listed`. */
export const FaultList = Obj({ t: Tag("fault.list"), id: ReqId });
export type FaultList = Static<typeof FaultList>;

export const FaultEntry = Obj({
  fault: U32,
  spec: FaultSpec,
  active: Type.Boolean(),
  /** The nodes the target resolved to. */
  nodes: Type.Optional(Type.Array(NodeId, { maxItems: 1024 })),
  /** Wall ms since it was armed, and until it expires (absent: until cleared). */
  ageMs: Type.Optional(Millis),
  remainingMs: Type.Optional(Millis),
});
export type FaultEntry = Static<typeof FaultEntry>;

/** host/hypervisor → requester, reply to `fault.list`. */
export const FaultListed = Obj({
  t: Tag("fault.listed"),
  re: ReqId,
  faults: Type.Array(FaultEntry, { maxItems: 1024 }),
});
export type FaultListed = Static<typeof FaultListed>;

/**
 * client → host, host → hypervisor, hypervisor → guest: disarm one fault, or every fault whose
 * target resolved to `target`, or all when both are absent.
 */
export const FaultClear = Obj({
  t: Tag("fault.clear"),
  id: ReqId,
  fault: Type.Optional(U32),
  target: Type.Optional(Text(128, 1)),
});
export type FaultClear = Static<typeof FaultClear>;

/** host/hypervisor → requester, reply to `fault.clear`: how many were disarmed. */
export const FaultCleared = Obj({ t: Tag("fault.cleared"), re: ReqId, cleared: U32 });
export type FaultCleared = Static<typeof FaultCleared>;
