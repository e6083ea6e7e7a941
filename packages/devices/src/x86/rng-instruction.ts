import type { Clock } from "@vmrng/crng";
import { type ChannelAccounting, ChannelCounters } from "../accounting.js";
import { readU32, readU64, writeU32 } from "../bytes.js";
import { ChaChaDrbg } from "../drbg/chacha-drbg.js";
import { DeviceConfigError, X86Fault } from "../errors.js";

/**
 * How an emulated RDRAND or RDSEED unit behaves.
 * - ok: CF=1 with fresh bytes from the injected source.
 * - absent: the CPU does not implement it (no CPUID bit; executing it is #UD).
 * - fail: always CF=0 and a zeroed destination (Intel SDM: "CF=0 ... dest = 0").
 * - stuck: CF=1 with the same value every time; the AMD erratum (family 15h/16h after
 *   suspend/resume, early Zen 2 microcode) returned all ones, 0xFFFFFFFFFFFFFFFF, with CF=1.
 * - flaky: each execution independently fails with `failProbability`, decided by a seeded
 *   generator so a run is replayable.
 */
export type RngInstructionMode =
  | { kind: "ok" }
  | { kind: "absent" }
  | { kind: "fail" }
  | { kind: "stuck"; value?: bigint }
  | { kind: "flaky"; failProbability: number; seed: number | Uint8Array };

export interface RngInstructionResult {
  cf: boolean;
  value: bigint;
}

/** All ones: what the AMD RDRAND erratum returns for a 64-bit operand, with CF=1. */
export const AMD_STUCK_VALUE = 0xffff_ffff_ffff_ffffn;

function seedBytes(seed: number | Uint8Array): Uint8Array {
  if (typeof seed !== "number") return seed;
  const b = new Uint8Array(32);
  writeU32(b, 0, seed >>> 0);
  writeU32(b, 4, Math.floor(seed / 2 ** 32) >>> 0);
  return b;
}

/** One RDRAND or RDSEED unit, executing one 64-bit instruction per call. */
export class RngInstructionUnit {
  private decider: ChaChaDrbg | null = null;
  private executed = 0;
  private readonly counters = new ChannelCounters("rdrand");
  #mode: RngInstructionMode;

  constructor(
    readonly name: "RDRAND" | "RDSEED",
    mode: RngInstructionMode,
    private readonly randomBytes: (n: number) => Uint8Array,
    private readonly clock?: Clock,
  ) {
    this.#mode = mode;
    this.setMode(mode);
  }

  get mode(): RngInstructionMode {
    return this.#mode;
  }

  /**
   * Changes how the unit behaves from the next execution on: a part that starts failing in
   * the field (fault injection). CPUID does not change; whether the kernel still uses the
   * instruction is up to the cpufeature bits it set at boot.
   */
  setMode(mode: RngInstructionMode): void {
    if (mode.kind === "flaky") {
      const p = mode.failProbability;
      if (!(p >= 0 && p <= 1)) {
        throw new DeviceConfigError("BAD_PROBABILITY", `failProbability ${p} not in [0, 1]`);
      }
      this.decider = new ChaChaDrbg(seedBytes(mode.seed));
    } else {
      this.decider = null;
    }
    this.#mode = mode;
  }

  get present(): boolean {
    return this.mode.kind !== "absent";
  }

  /** Instructions executed so far (retries included). */
  get executions(): number {
    return this.executed;
  }

  exec(): RngInstructionResult {
    if (this.mode.kind === "absent") {
      throw new X86Fault("UD", `#UD: ${this.name} not implemented by this CPU`);
    }
    this.executed += 1;
    const r = this.execute();
    if (r.cf) this.counters.served(8, this.clock?.now() ?? 0);
    else this.counters.failed();
    return r;
  }

  /** Executions that set CF (requests, 8 bytes each) and those that did not (errors). */
  accounting(): ChannelAccounting {
    return this.counters.snapshot();
  }

  private execute(): RngInstructionResult {
    switch (this.#mode.kind) {
      case "fail":
        return { cf: false, value: 0n };
      case "stuck":
        return { cf: true, value: this.#mode.value ?? AMD_STUCK_VALUE };
      case "flaky": {
        const draw = readU32(this.decider!.generate(4), 0) / 2 ** 32;
        if (draw < this.#mode.failProbability) return { cf: false, value: 0n };
        return { cf: true, value: this.fresh() };
      }
      case "ok":
        return { cf: true, value: this.fresh() };
      case "absent":
        throw new X86Fault("UD", `#UD: ${this.name} not implemented by this CPU`);
    }
  }

  private fresh(): bigint {
    const b = this.randomBytes(8);
    if (b.length !== 8) throw new DeviceConfigError("BAD_SOURCE", `source gave ${b.length} bytes`);
    return readU64(b, 0);
  }
}
