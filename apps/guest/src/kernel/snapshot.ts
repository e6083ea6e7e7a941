import type { CrngSnapshot } from "@vmrng/crng";
import type { GuestChannelStats } from "./accounting.js";
import { GuestKernelError } from "./errors.js";
import type { InterruptState } from "./interrupts.js";
import type { KernelLogLine } from "./printk.js";
import type { ReadinessSource } from "./readiness.js";

export const GUEST_SNAPSHOT_FORMAT = "vmrng-guest-kernel";
export const GUEST_SNAPSHOT_VERSION = 1;

/**
 * A running guest kernel as plain data (msgpack/structuredClone-safe). Not included: anything
 * in flight with the hypervisor (posted virtio buffers, pending requests): a restored guest
 * gets a fresh virtio-rng device, as after a virtio reset.
 */
export interface GuestKernelSnapshot {
  format: typeof GUEST_SNAPSHOT_FORMAT;
  version: typeof GUEST_SNAPSHOT_VERSION;
  takenAtMs: number;
  bootStartedAtMs: number | null;
  commandLine: string;
  crng: CrngSnapshot;
  cpuCaps: { rdrand: boolean; rdseed: boolean };
  interrupts: InterruptState;
  virtioRngRegistered: boolean;
  vmgenidId: Uint8Array | null;
  generationCounter: bigint | null;
  readiness: { readyAtMs: number | null; source: ReadinessSource | null };
  channels: GuestChannelStats[];
  log: { lines: KernelLogLine[]; dropped: number };
}

function fail(what: string): never {
  throw new GuestKernelError("BAD_SNAPSHOT", `invalid guest snapshot: ${what}`);
}

/** Shape checks for what the kernel itself reads (the CRNG part is checked by Crng.restore). */
export function checkSnapshot(v: unknown): GuestKernelSnapshot {
  if (typeof v !== "object" || v === null) fail("not an object");
  const s = v as Partial<GuestKernelSnapshot>;
  if (s.format !== GUEST_SNAPSHOT_FORMAT) fail(`format must be "${GUEST_SNAPSHOT_FORMAT}"`);
  if (s.version !== GUEST_SNAPSHOT_VERSION) fail(`version must be ${GUEST_SNAPSHOT_VERSION}`);
  if (typeof s.takenAtMs !== "number" || !Number.isFinite(s.takenAtMs)) fail("takenAtMs");
  if (typeof s.commandLine !== "string") fail("commandLine");
  if (typeof s.cpuCaps !== "object" || s.cpuCaps === null) fail("cpuCaps");
  if (typeof s.interrupts !== "object" || s.interrupts === null) fail("interrupts");
  if (s.vmgenidId !== null && !(s.vmgenidId instanceof Uint8Array)) fail("vmgenidId");
  if (s.generationCounter !== null && typeof s.generationCounter !== "bigint") {
    fail("generationCounter");
  }
  if (!Array.isArray(s.channels)) fail("channels");
  if (typeof s.log !== "object" || s.log === null || !Array.isArray(s.log.lines)) fail("log");
  return s as GuestKernelSnapshot;
}
