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

/** One client of the host's EGD server (a QEMU `rng-egd` backend, a test, any EGD peer). */
export const EgdClientStatus = Obj({
  /** "tcp 127.0.0.1:40312" or "unix #3": who it is, as the host sees the connection. */
  client: Text(96),
  /** Wall ms since the connection was accepted. */
  connectedMs: Millis,
  /** Commands received (0x00 to 0x04). */
  requests: U64,
  /** Random bytes served (0x01 and 0x02 replies, without count bytes). */
  bytes: U64,
  /** Bytes offered with 0x03 and mixed into the host pool, uncredited. */
  mixedBytes: U64,
  /** Times a request waited for the per-client rate limiter. */
  throttled: U64,
});
export type EgdClientStatus = Static<typeof EgdClientStatus>;

/** The host's EGD server: where it listens, totals since start, and the connected clients. */
export const EgdStatus = Obj({
  port: Type.Integer({ minimum: 1, maximum: 65535 }),
  socketPath: Type.Optional(Text(4096)),
  /** Connections accepted since start (including closed ones). */
  connections: U64,
  /** Connections closed by the host for bad input or a client that stopped reading. */
  dropped: U64,
  requests: U64,
  bytes: U64,
  mixedBytes: U64,
  clients: Type.Array(EgdClientStatus, { maxItems: 1024 }),
});
export type EgdStatus = Static<typeof EgdStatus>;

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
  /** The host only, when its EGD server runs. */
  egd: Type.Optional(EgdStatus),
  /**
   * Guests only: how this VM's kernel came to be: `kexecs` since its cold boot (or resume),
   * `from` the VM whose snapshot it was resumed from (clone or restore).
   */
  lineage: Type.Optional(Obj({ kexecs: U32, from: Type.Optional(NodeId) })),
});
export type NodeStatus = Static<typeof NodeStatus>;

/** host/hypervisor/guest → requester, reply to `status.get`. */
export const StatusReport = Obj({
  t: Tag("status.report"),
  re: ReqId,
  nodes: Type.Array(NodeStatus, { maxItems: 4096 }),
});
export type StatusReport = Static<typeof StatusReport>;
