import type { ArchRandom } from "@vmrng/crng";
import { rdrandLong, rdseedLong, type X86Cpu } from "./cpu.js";

/**
 * arch_get_random_longs() / arch_get_random_seed_longs() / random_get_entropy() on x86
 * (arch/x86/include/asm/archrandom.h): gated on the cpufeature bit, and at most ONE long per
 * call (`max_longs && cpu_feature_enabled(...) && rdrand_long(v) ? 1 : 0`); callers loop.
 */
export class X86ArchRandom implements ArchRandom {
  constructor(private readonly cpu: X86Cpu) {}

  getRandomSeedLongs(max: number): bigint[] {
    if (max <= 0 || !this.cpu.hasRdseed) return [];
    const v = rdseedLong(this.cpu);
    return v === null ? [] : [v];
  }

  getRandomLongs(max: number): bigint[] {
    if (max <= 0 || !this.cpu.hasRdrand) return [];
    const v = rdrandLong(this.cpu);
    return v === null ? [] : [v];
  }

  getEntropy(): bigint {
    return this.cpu.rdtsc();
  }
}
