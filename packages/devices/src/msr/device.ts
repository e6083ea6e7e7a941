import type { Clock } from "@vmrng/crng";
import { type ChannelAccounting, ChannelCounters } from "../accounting.js";
import { isU64, readU64, u64le } from "../bytes.js";
import { ChaChaDrbg } from "../drbg/chacha-drbg.js";
import { DeviceConfigError } from "../errors.js";
import {
  COMMONHV_FEATURE_RNG,
  COMMONHV_FEATURE_RNG_WRITES,
  COMMONHV_LEAF_BASE,
  COMMONHV_LEAF_FEATURES,
  COMMONHV_LEAF_LAST,
  COMMONHV_LEAF_RNG,
  COMMONHV_MAX_LEAF,
  COMMONHV_SIG_EBX,
  COMMONHV_SIG_ECX,
  COMMONHV_SIG_EDX,
  type CommonHvCpu,
  type CpuidRegs,
  DEFAULT_MSR_COMMONHV_RNG,
  type MsrAccess,
  ZERO_REGS,
} from "./commonhv.js";

export interface RngMsrHostOptions {
  clock: Clock;
  /** Host entropy used to seed each guest's generator at guest start. */
  randomBytes: (n: number) => Uint8Array;
  msrIndex?: number;
  /** Advertise bit 1 and mix guest writes (default true). */
  acceptWrites?: boolean;
  /**
   * Xen-style fixed budget: after this many reads a guest gets 0 ("a hypervisor is free to
   * return zero"). Default unlimited.
   */
  poolLongs?: number;
}

/**
 * The hypervisor's CommonHV RNG: one independent ChaChaDrbg per guest, seeded with fresh host
 * bytes when the guest starts (the "very simple per-guest DRBG" suggested on xen-devel). A
 * guest's wrmsr is mixed into that guest's generator only, so no sequence of writes by one
 * guest can move another guest's numbers. A clone must be attach()ed with its own fresh seed,
 * never given a copy of its parent's generator.
 */
export class RngMsrHost {
  readonly msrIndex: number;
  readonly acceptWrites: boolean;
  private readonly guests = new Map<string, RngMsrGuest>();

  constructor(private readonly opts: RngMsrHostOptions) {
    this.msrIndex = opts.msrIndex ?? DEFAULT_MSR_COMMONHV_RNG;
    if (!Number.isInteger(this.msrIndex) || this.msrIndex < 1 || this.msrIndex > 0xffff_ffff) {
      throw new DeviceConfigError("BAD_MSR", `MSR index ${this.msrIndex} is not a nonzero u32`);
    }
    this.acceptWrites = opts.acceptWrites ?? true;
    const pool = opts.poolLongs;
    if (pool !== undefined && (!Number.isInteger(pool) || pool < 0)) {
      throw new DeviceConfigError("BAD_POOL", `poolLongs ${pool}`);
    }
  }

  /** Guest start: a new generator from 32 fresh host bytes (or an explicit seed for replay). */
  attach(guestId: string, seed?: Uint8Array): RngMsrGuest {
    if (this.guests.has(guestId)) {
      throw new DeviceConfigError("DUPLICATE_GUEST", `guest ${guestId} already attached`);
    }
    const g = new RngMsrGuest(
      guestId,
      new ChaChaDrbg(seed ?? this.opts.randomBytes(32)),
      this.msrIndex,
      this.acceptWrites,
      this.opts.poolLongs ?? Number.POSITIVE_INFINITY,
      this.opts.clock,
    );
    this.guests.set(guestId, g);
    return g;
  }

  detach(guestId: string): boolean {
    return this.guests.delete(guestId);
  }

  guest(guestId: string): RngMsrGuest | undefined {
    return this.guests.get(guestId);
  }
}

/** One guest's view of the CommonHV CPUID leaves and its RNG MSR. */
export class RngMsrGuest implements CommonHvCpu {
  private readsLeft: number;
  private readonly counters = new ChannelCounters("rng-msr");

  constructor(
    readonly guestId: string,
    private readonly drbg: ChaChaDrbg,
    readonly msrIndex: number,
    readonly acceptWrites: boolean,
    pool: number,
    private readonly clock: Clock,
  ) {
    this.readsLeft = pool;
  }

  cpuid(leaf: number, _subleaf = 0): CpuidRegs {
    const l = leaf >>> 0;
    if (l < COMMONHV_LEAF_BASE || l > COMMONHV_LEAF_LAST) return { ...ZERO_REGS };
    switch (l) {
      case COMMONHV_LEAF_BASE:
        return {
          eax: COMMONHV_MAX_LEAF,
          ebx: COMMONHV_SIG_EBX,
          ecx: COMMONHV_SIG_ECX,
          edx: COMMONHV_SIG_EDX,
        };
      case COMMONHV_LEAF_FEATURES:
        return {
          ...ZERO_REGS,
          eax: COMMONHV_FEATURE_RNG | (this.acceptWrites ? COMMONHV_FEATURE_RNG_WRITES : 0),
        };
      case COMMONHV_LEAF_RNG:
        return { ...ZERO_REGS, eax: this.msrIndex };
      default:
        // 4F000001H with zero interface tuples, and every leaf we do not define.
        return { ...ZERO_REGS };
    }
  }

  rdmsr(index: number): MsrAccess {
    if (index !== this.msrIndex) {
      this.counters.rejected();
      return { kind: "gp", index };
    }
    const now = this.clock.now();
    if (this.readsLeft <= 0) {
      this.counters.served(0, now);
      return { kind: "ok", value: 0n };
    }
    this.readsLeft -= 1;
    const value = readU64(this.drbg.generate(8), 0);
    this.counters.served(8, now);
    return { kind: "ok", value };
  }

  wrmsr(index: number, value: bigint): MsrAccess {
    if (index !== this.msrIndex || !this.acceptWrites || !isU64(value)) {
      this.counters.rejected();
      return { kind: "gp", index };
    }
    this.drbg.mix(u64le(value));
    this.counters.wrote();
    return { kind: "ok", value: 0n };
  }

  /** Fresh host entropy for this guest's generator (e.g. periodic host reseed). */
  reseed(fresh: Uint8Array): void {
    this.drbg.reseed(fresh);
  }

  accounting(): ChannelAccounting {
    return this.counters.snapshot();
  }

  get bytesSinceReseed(): number {
    return this.drbg.bytesSinceReseed;
  }

  /** Public fingerprint of this guest's generator state (see ChaChaDrbg.fingerprint). */
  fingerprint(): string {
    return this.drbg.fingerprint();
  }
}
