import type { GuestSpec } from "@vmrng/cluster";
import type { Clock } from "@vmrng/crng";
import {
  type BootImage,
  type ByteSource,
  buildBootImage,
  buildKexecImage,
  type ChannelAccounting,
  RateLimiter,
  type RateLimiterConfig,
  type RngMsrGuest,
  type RngMsrHost,
  readLoadedImage,
  seedForPolicy,
  VirtioRngDevice,
  VmClockDevice,
  VmGenIdDevice,
} from "@vmrng/devices";

import { SEED_LENGTH, type SeedFile } from "./seed-file.js";

/** What the loader put in guest memory, in the wire's shape (boot.params). */
export interface BootPayload {
  bootParams: Uint8Array;
  setupData: { gpa: bigint; data: Uint8Array }[];
  /** The seed handed over, for the history and the never-twice checker; null when none. */
  seed: Uint8Array | null;
}

export interface GuestBackendsOptions {
  spec: GuestSpec;
  /** Wall-time clock (ms): rate limits run in real time, like Firecracker's. */
  clock: Clock;
  /** The hypervisor's DRBG, reseeded from the host: never waits on a host round trip. */
  entropy: ByteSource;
  msrHost: RngMsrHost;
  /** Seed policy `present`: the VM's persistent seed file (the loader's own seed management). */
  seedFile?: SeedFile;
  /** For seed policy `replayed`: the seed to hand out again (the first boot's). */
  replaySeed?: Uint8Array;
  /**
   * Restore or clone: the device memory of the snapshot. The vmgenid device starts from the
   * saved id and writes a new one, the VMClock counter starts from the saved value and is
   * bumped, both before the guest resumes (QEMU vmgenid_update_guest at load; VMClock's
   * vm_generation_counter is updated before the vCPUs run again).
   */
  resumeFrom?: {
    vmgenidId: Uint8Array | null;
    generationCounter: bigint | null;
    /** false for kexec: the same VM keeps its generation, only the kernel changes. */
    newGeneration?: boolean;
  };
}

/**
 * The device side of one guest: its boot image and every channel the hypervisor serves it
 * (virtio-rng, the CommonHV RNG MSR, vmgenid and the generation counter), with their
 * per-channel accounting. Pure: the process wires it to the guest's Link and to timers.
 */
export class GuestBackends {
  readonly spec: GuestSpec;
  readonly virtio: VirtioRngDevice | null;
  readonly msr: RngMsrGuest | null;
  readonly vmgenid: VmGenIdDevice | null;
  readonly vmclock: VmClockDevice | null;
  private bootAccounting: ChannelAccounting | null = null;

  constructor(private readonly o: GuestBackendsOptions) {
    const { spec, clock, entropy } = o;
    this.spec = spec;
    const firecracker = isFirecracker(spec);
    this.virtio = spec.virtioRng.enabled
      ? new VirtioRngDevice({
          clock,
          source: entropy,
          // QEMU's device has no token buckets (only max-bytes/period, unlimited by default); a
          // configured limiter means Firecracker's semantics, as does Firecracker's queue size.
          flavor: firecracker ? "firecracker" : "qemu",
          queueSize: spec.virtioRng.queueSize,
          ...(firecracker ? { rateLimiter: new RateLimiter(limiterConfig(spec), clock) } : {}),
        })
      : null;
    this.msr = spec.msr.enabled ? o.msrHost.attach(spec.id) : null;
    const bytes = (n: number): Uint8Array => entropy.generate(n);
    const from = o.resumeFrom;
    this.vmgenid =
      spec.vmgenid.mode === "off"
        ? null
        : new VmGenIdDevice(bytes, clock, from?.vmgenidId ?? undefined);
    this.vmclock =
      spec.vmgenid.mode === "counter"
        ? new VmClockDevice(clock, from?.generationCounter ?? 1n)
        : null;
    if (from && from.newGeneration !== false) {
      this.vmgenid?.newGeneration();
      this.vmclock?.bump();
    }
  }

  /**
   * kexec: the next kernel's boot image, with the 32 bytes the running kernel handed on as
   * SETUP_RNG_SEED, or no seed node when its CRNG was not initialized (setup_rng_seed()).
   */
  buildKexecBoot(seed: Uint8Array | null): BootPayload {
    const image = seed ? buildKexecImage({ seed, rngIsInitialized: true }) : buildBootImage({});
    return this.handOver(image, seed);
  }

  /**
   * Builds the zero page and setup_data list the loader hands to this boot. `override`: a
   * boot fault's seed (seed.absent/zero/replayed, or malicious: an attacker-known seed) in place
   * of the policy; the seed file is then left alone.
   */
  buildBoot(
    override?: { kind: "absent" } | { kind: "zero" } | { kind: "given"; seed: Uint8Array },
  ): BootPayload {
    if (override) {
      const seed =
        override.kind === "absent"
          ? null
          : override.kind === "zero"
            ? new Uint8Array(SEED_LENGTH)
            : override.seed;
      return this.handOver(buildBootImage(seed ? { seed } : {}), seed);
    }
    const policy =
      this.o.spec.seed === "replayed"
        ? this.o.replaySeed
          ? ({ kind: "replayed", seed: this.o.replaySeed } as const)
          : ({ kind: "present" } as const)
        : ({ kind: this.o.spec.seed } as const);
    const seedFile = this.o.seedFile;
    const seed =
      policy.kind === "present" && seedFile
        ? seedFile.next(this.o.entropy.generate(SEED_LENGTH)).seed
        : (seedForPolicy(policy, (n) => this.o.entropy.generate(n)) ?? null);
    const image = buildBootImage(seed ? { seed } : {});
    return this.handOver(image, seed);
  }

  /** The image as the guest receives it; its setup_data accounting becomes this boot's. */
  private handOver(image: BootImage, seed: Uint8Array | null): BootPayload {
    this.bootAccounting = image.accounting;
    const { zeroPage, setupData } = readLoadedImage(image);
    return { bootParams: zeroPage, setupData, seed };
  }

  accounting(): ChannelAccounting[] {
    const out: ChannelAccounting[] = [];
    if (this.bootAccounting) out.push(this.bootAccounting);
    if (this.virtio) out.push(this.virtio.accounting());
    if (this.msr) out.push(this.msr.accounting());
    if (this.vmgenid) out.push(this.vmgenid.accounting());
    if (this.vmclock) out.push(this.vmclock.accounting());
    return out;
  }

  detach(): void {
    if (this.msr) this.o.msrHost.detach(this.spec.id);
  }
}

function isFirecracker(spec: GuestSpec): boolean {
  const rl = spec.virtioRng.rateLimit;
  return rl.ops !== undefined || rl.bytes !== undefined || spec.virtioRng.queueSize === 256;
}

function limiterConfig(spec: GuestSpec): RateLimiterConfig {
  const { ops, bytes } = spec.virtioRng.rateLimit;
  const cfg: RateLimiterConfig = {};
  if (ops)
    cfg.ops = {
      size: ops.size,
      oneTimeBurst: ops.oneTimeBurst ?? 0,
      refillTimeMs: ops.refillTimeMs,
    };
  if (bytes) {
    cfg.bandwidth = {
      size: bytes.size,
      oneTimeBurst: bytes.oneTimeBurst ?? 0,
      refillTimeMs: bytes.refillTimeMs,
    };
  }
  return cfg;
}
