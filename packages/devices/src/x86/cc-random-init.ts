import type { ArchRandom } from "@vmrng/crng";
import { longsToBytes } from "../bytes.js";
import type { EntropySink } from "../sink.js";

/** The string cc_random_init() panics with (arch/x86/coco/core.c). */
export const RDRAND_DEFECTIVE = "RDRAND is defective.";

export type CcRandomInitResult =
  /** Not a confidential guest: !cc_platform_has(CC_ATTR_GUEST_MEM_ENCRYPT), returns at once. */
  | { kind: "skipped" }
  /** 32 bytes obtained and mixed with add_device_randomness (nothing credited here). */
  | { kind: "seeded"; bytes: number; calls: number }
  /** panic("RDRAND is defective."): the guest must not continue. */
  | { kind: "panic"; message: string; line: string; longsObtained: number };

/**
 * cc_random_init(): fills `unsigned long rng_seed[32 / sizeof(long)]` by looping on
 * arch_get_random_longs(); a call returning 0 longs (RDRAND absent, or 10 failed retries)
 * panics. On success it add_device_randomness()es the 32 bytes, which credits nothing: the
 * credit for RDRAND comes later from random_init_early() under random.trust_cpu.
 */
export function ccRandomInit(
  arch: ArchRandom,
  sink: EntropySink,
  opts: { coco: boolean },
): CcRandomInitResult {
  if (!opts.coco) return { kind: "skipped" };
  const seed: bigint[] = [];
  let calls = 0;
  while (seed.length < 4) {
    calls += 1;
    const got = arch.getRandomLongs(4 - seed.length);
    if (got.length === 0) {
      seed.fill(0n);
      return {
        kind: "panic",
        message: RDRAND_DEFECTIVE,
        line: `Kernel panic - not syncing: ${RDRAND_DEFECTIVE}`,
        longsObtained: seed.length,
      };
    }
    seed.push(...got.slice(0, 4 - seed.length));
  }
  const bytes = longsToBytes(seed);
  sink.addDeviceRandomness(bytes);
  bytes.fill(0); // memzero_explicit(rng_seed)
  return { kind: "seeded", bytes: 32, calls };
}
