import type { RdrandModeName, SeedPolicyName, TokenBucketSpec, VmgenidModeName } from "./schema.js";

/** A guest userspace program with every setting decided (apps/guest/src/userspace). */
export type UserspaceProgramSpec =
  | { program: "wireguard"; sessions: number; packetEveryMs: number }
  | { program: "getrandom-load"; len: number; everyMs: number; flags: number };

/** Per-program defaults (schema.ts repeats them for editors). */
export const USERSPACE_DEFAULTS = {
  wireguard: { sessions: 1, packetEveryMs: 1000 },
  "getrandom-load": { len: 32, everyMs: 1000, flags: 0 },
} as const;

/** A guest with every setting decided: what the hypervisor boots. */
export interface GuestSpec {
  id: string;
  hypervisor: string;
  cpus: number;
  coco: boolean;
  seed: SeedPolicyName;
  rdrand: { mode: RdrandModeName; failProbability: number };
  trust: { cpu: boolean; bootloader: boolean; msr: boolean };
  virtioRng: {
    enabled: boolean;
    queueSize: number;
    /** hw_random quality: credit = bits read * quality / 1024 (drivers/char/hw_random/core.c). */
    quality: number;
    rateLimit: { ops?: TokenBucketSpec; bytes?: TokenBucketSpec };
  };
  msr: { enabled: boolean; writes: boolean };
  vmgenid: { mode: VmgenidModeName; notifyDelayMs: number };
  interrupts: { perSecond: number };
  clockRate: number;
  /** Programs run after boot and resumed after a restore or clone; none by default. */
  userspace: UserspaceProgramSpec[];
  expect: "ready" | "booted" | "panic";
}

/** The host's EGD server with every setting decided. */
export interface EgdSpec {
  enabled: boolean;
  /** TCP port on 127.0.0.1; 0 = pick a free one. */
  port: number;
  /** Extra Unix socket, as written in the cluster file (relative = inside the run directory). */
  socketPath?: string;
  /** Per-client token buckets (Firecracker RateLimiter): ops = requests, bytes = bytes served. */
  rateLimit: { ops?: TokenBucketSpec; bytes?: TokenBucketSpec };
  maxClients: number;
}

export interface HypervisorSpec {
  id: string;
  guests: GuestSpec[];
}

export interface ClusterSpec {
  version: 1;
  name: string;
  host: { egd: EgdSpec };
  hypervisors: HypervisorSpec[];
}

/** Built-in guest defaults: a well-behaved KVM guest on a modern x86 host. */
export const DEFAULT_GUEST: Omit<GuestSpec, "id" | "hypervisor" | "expect"> = {
  cpus: 2,
  coco: false,
  seed: "present",
  rdrand: { mode: "ok", failProbability: 0.5 },
  trust: { cpu: true, bootloader: true, msr: false },
  virtioRng: { enabled: true, queueSize: 8, quality: 1024, rateLimit: {} },
  msr: { enabled: true, writes: true },
  vmgenid: { mode: "notify", notifyDelayMs: 50 },
  interrupts: { perSecond: 1000 },
  clockRate: 1,
  userspace: [],
};
