import type { ValidFault } from "../spec.js";

/**
 * The value the AMD RDRAND erratum returns with CF=1 for a 64-bit operand (all ones). Linux's
 * x86_init_rdrand() (arch/x86/kernel/cpu/rdrand.c) samples 8 values and distrusts RDRAND when
 * fewer than 5 changed: that self-test is the only place a stuck value is caught.
 */
export const RDRAND_STUCK_VALUE = 0xffff_ffff_ffff_ffffn;

/**
 * The RDRAND behaviour for the guest CPU, shaped as @vmrng/devices' RngInstructionMode:
 * - absent: no CPUID bit; arch_get_random_longs() returns 0 without executing it
 *   (arch/x86/include/asm/archrandom.h gates on X86_FEATURE_RDRAND).
 * - fail: CF=0 every time, so rdrand_long() gives up after RDRAND_RETRY_LOOPS (10) tries.
 * - stuck: CF=1 with RDRAND_STUCK_VALUE every time.
 * - flaky: each execution fails with failProbability, decided by a generator seeded by `seed`
 *   so the run replays.
 */
export type RdrandPlan =
  | { kind: "ok" }
  | { kind: "absent" }
  | { kind: "fail" }
  | { kind: "stuck"; value: bigint }
  | { kind: "flaky"; failProbability: number; seed: number | Uint8Array };

/** Folds rdrand.* faults (the last armed wins) into the CPU's RDRAND mode. */
export function rdrandPlan(
  faults: readonly ValidFault[],
  seed: number | Uint8Array = 0,
): RdrandPlan {
  let plan: RdrandPlan = { kind: "ok" };
  for (const f of faults) {
    switch (f.kind) {
      case "rdrand.absent":
        plan = { kind: "absent" };
        break;
      case "rdrand.fail":
        plan = { kind: "fail" };
        break;
      case "rdrand.stuck":
        plan = { kind: "stuck", value: RDRAND_STUCK_VALUE };
        break;
      case "rdrand.flaky":
        plan = { kind: "flaky", failProbability: f.params.failProbability, seed };
        break;
    }
  }
  return plan;
}

/**
 * The rate of the guest's virtual clock under the active clock.skew faults: the last one with a
 * `rate` wins; 1 when none. Removing the fault brings the rate back to 1 from that instant.
 */
export function clockRate(faults: readonly ValidFault[]): number {
  let rate = 1;
  for (const f of faults)
    if (f.kind === "clock.skew" && f.params.rate !== undefined) rate = f.params.rate;
  return rate;
}

/**
 * The forward jump (ms) a clock.skew fault makes when it starts. Virtual time never goes back:
 * removing the fault does not undo the jump.
 */
export function clockJumpMs(fault: ValidFault): number {
  return fault.kind === "clock.skew" ? (fault.params.offsetMs ?? 0) : 0;
}
