import { type Static, Type } from "@sinclair/typebox";
import { Enum, Millis, NodeId, Obj, ReqId, Tag, Text, U32, U64 } from "./common.js";

/**
 * client → host, host → hypervisor, hypervisor → guest: report status, for all nodes below the
 * receiver or only `nodes`. Reply: `status.report`.
 */
export const StatusGet = Obj({
  t: Tag("status.get"),
  id: ReqId,
  nodes: Type.Optional(Type.Array(NodeId, { maxItems: 4096 })),
});
export type StatusGet = Static<typeof StatusGet>;

/** `crng_init` states of drivers/char/random.c (enum { CRNG_EMPTY, CRNG_EARLY, CRNG_READY }). */
export const CrngInit = Enum(["EMPTY", "EARLY", "READY"]);

/** A guest's CRNG as /proc/sys/kernel/random and the kernel's own state would show it. */
export const CrngStatus = Obj({
  init: CrngInit,
  /** `entropy_avail` in bits: 0..POOL_BITS (256), saturated at 256 once READY. */
  entropyAvail: Type.Integer({ minimum: 0, maximum: 256 }),
  /** `base_crng.generation` (an unsigned long in the kernel). */
  generation: U64,
  /** Virtual uptime at which READY was reached; absent while not READY. */
  readyAtMs: Type.Optional(Millis),
  /** Which input pushed crng_init to READY: "setup_data seed", "virtio-rng", "interrupts", … */
  readySource: Type.Optional(Text(64)),
});
export type CrngStatus = Static<typeof CrngStatus>;

/** The entropy channels of the design (and the host's EGD server and guest userspace reads). */
export const Channel = Enum([
  "setup_data",
  "virtio-rng",
  "msr",
  "vmgenid",
  "gencounter",
  "rdrand",
  "egd",
  "getrandom",
]);

/** Per-channel accounting since the node started. */
export const ChannelStats = Obj({
  channel: Channel,
  requests: U64,
  bytes: U64,
  errors: U64,
  /** Hypervisor side: a public fingerprint of the device's generator state (isolation checks). */
  fingerprint: Type.Optional(Type.String({ pattern: "^[0-9a-f]{16}$" })),
});
export type ChannelStats = Static<typeof ChannelStats>;

export const NodePhase = Enum([
  "starting",
  "running",
  "paused",
  "stopping",
  "stopped",
  "crashed",
  "panicked",
]);

export const NodeStatus = Obj({
  node: NodeId,
  role: Enum(["host", "hypervisor", "guest"]),
  pid: U32,
  state: NodePhase,
  /** Virtual uptime (guests) or wall uptime (host, hypervisors). */
  uptimeMs: Millis,
  /** Guests only. */
  crng: Type.Optional(CrngStatus),
  channels: Type.Array(ChannelStats, { maxItems: 16 }),
});
export type NodeStatus = Static<typeof NodeStatus>;

/** host/hypervisor/guest → requester, reply to `status.get`. */
export const StatusReport = Obj({
  t: Tag("status.report"),
  re: ReqId,
  nodes: Type.Array(NodeStatus, { maxItems: 4096 }),
});
export type StatusReport = Static<typeof StatusReport>;
