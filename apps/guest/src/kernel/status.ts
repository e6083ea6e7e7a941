import type { GuestSpec } from "@vmrng/cluster";
import type { CrngInitState } from "@vmrng/crng";
import type { GuestChannelStats } from "./accounting.js";
import type { ReadinessSource } from "./readiness.js";

export type GuestPhase = "created" | "booting" | "running" | "panicked";

/** Everything `vmrng status` shows about one guest. */
export interface GuestStatus {
  id: string;
  phase: GuestPhase;
  /** Virtual ms since boot (the kernel's clock). */
  uptimeMs: number;
  /** Virtual time boot() started at (0 for a guest started with the cluster). */
  bootStartedAtMs: number | null;
  crng: {
    init: CrngInitState;
    /** /proc/sys/kernel/random/entropy_avail. */
    entropyAvail: number;
    /** base_crng.generation. */
    generation: bigint;
  };
  /** Virtual time at which crng_init reached READY, null before. */
  readyAtMs: number | null;
  /** readyAtMs - bootStartedAtMs. */
  timeToReadyMs: number | null;
  /** The input that pushed crng_init to READY. */
  readySource: ReadinessSource | null;
  rdrand: { mode: GuestSpec["rdrand"]["mode"]; rdrandEnabled: boolean; rdseedEnabled: boolean };
  hwrng: {
    registered: boolean;
    /** The hwrng kthread: waiting for the device, sleeping, or idle. */
    kthread: "wait" | "sleep" | "idle";
    quality: number | null;
  };
  vmgenid: { mode: GuestSpec["vmgenid"]["mode"]; id: string | null };
  /** vm_generation_counter as last acted on (mode "counter"). */
  generationCounter: bigint | null;
  interrupts: { perSecond: number; delivered: number };
  channels: GuestChannelStats[];
  panic: { message: string; atMs: number; exitCode: number } | null;
  logLines: number;
}
