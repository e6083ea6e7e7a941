import type { Clock } from "@vmrng/crng";
import { DeviceConfigError } from "../errors.js";
import { type RngInstructionMode, RngInstructionUnit } from "./rng-instruction.js";

/** RDRAND_RETRY_LOOPS (arch/x86/include/asm/archrandom.h). */
export const RDRAND_RETRY_LOOPS = 10;

export interface X86CpuOptions {
  rdrand: RngInstructionMode;
  /** Defaults to `{kind: "ok"}` when RDRAND works, else the same mode as RDRAND. */
  rdseed?: RngInstructionMode;
  /** Source of good random values (the process passes node:crypto randomBytes). */
  randomBytes: (n: number) => Uint8Array;
  /** Clock behind RDTSC. */
  clock: Clock;
  /** TSC ticks per virtual millisecond (default 2.5 GHz). */
  tscPerMs?: number;
}

/**
 * The guest CPU as the kernel's random code sees it: RDRAND/RDSEED units, the cpufeature
 * bits X86_FEATURE_RDRAND (CPUID.1:ECX[30]) and X86_FEATURE_RDSEED (CPUID.(7,0):EBX[18])
 * that x86_init_rdrand() may clear, and a monotonic TSC.
 */
export class X86Cpu {
  readonly rdrand: RngInstructionUnit;
  readonly rdseed: RngInstructionUnit;
  private capRdrand: boolean;
  private capRdseed: boolean;
  private readonly clock: Clock;
  private readonly tscPerMs: number;
  private lastTsc = 0n;

  constructor(opts: X86CpuOptions) {
    const seedMode =
      opts.rdseed ?? (opts.rdrand.kind === "ok" ? { kind: "ok" as const } : opts.rdrand);
    this.rdrand = new RngInstructionUnit("RDRAND", opts.rdrand, opts.randomBytes, opts.clock);
    this.rdseed = new RngInstructionUnit("RDSEED", seedMode, opts.randomBytes, opts.clock);
    this.capRdrand = this.rdrand.present;
    this.capRdseed = this.rdseed.present;
    this.clock = opts.clock;
    this.tscPerMs = opts.tscPerMs ?? 2_500_000;
    if (!(this.tscPerMs > 0)) throw new DeviceConfigError("BAD_TSC", "tscPerMs must be > 0");
  }

  /** cpu_has(X86_FEATURE_RDRAND) / cpu_feature_enabled(). */
  get hasRdrand(): boolean {
    return this.capRdrand;
  }

  get hasRdseed(): boolean {
    return this.capRdseed;
  }

  /** clear_cpu_cap(): what x86_init_rdrand() does to a platform it distrusts. */
  clearCap(cap: "rdrand" | "rdseed"): void {
    if (cap === "rdrand") this.capRdrand = false;
    else this.capRdseed = false;
  }

  /** RDTSC: virtual time scaled to cycles, strictly increasing across calls. */
  rdtsc(): bigint {
    const t = BigInt(Math.floor(this.clock.now() * this.tscPerMs));
    this.lastTsc = t > this.lastTsc ? t : this.lastTsc + 1n;
    return this.lastTsc;
  }
}

/** rdrand_long(): up to RDRAND_RETRY_LOOPS executions until CF=1. null = all failed. */
export function rdrandLong(cpu: X86Cpu): bigint | null {
  for (let retry = RDRAND_RETRY_LOOPS; retry > 0; retry--) {
    const r = cpu.rdrand.exec();
    if (r.cf) return r.value;
  }
  return null;
}

/** rdseed_long(): a single execution, no retry (RDSEED may legitimately run dry). */
export function rdseedLong(cpu: X86Cpu): bigint | null {
  const r = cpu.rdseed.exec();
  return r.cf ? r.value : null;
}
