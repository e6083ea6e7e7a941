import type { GuestSpec } from "@vmrng/cluster";
import type { ArchRandom, Clock } from "@vmrng/crng";
import { type RngInstructionMode, X86ArchRandom, X86Cpu } from "@vmrng/devices";

/** A fresh 32-byte seed for a flaky unit's failure decider. */
function deciderSeed(randomBytes: (n: number) => Uint8Array): Uint8Array {
  return randomBytes(32).slice();
}

/**
 * RDRAND and RDSEED behaviour for a spec: "ok", "absent", "fail", "stuck" (the AMD all-ones
 * value with CF=1) map one to one; "flaky" fails each execution with failProbability, decided
 * by a generator seeded from `randomBytes` (so a seeded test source makes it replayable).
 * RDSEED follows RDRAND (a CPU with a broken DRNG has a broken seed unit too).
 */
export function instructionModes(
  rdrand: GuestSpec["rdrand"],
  randomBytes: (n: number) => Uint8Array,
): { rdrand: RngInstructionMode; rdseed: RngInstructionMode } {
  switch (rdrand.mode) {
    case "ok":
      return { rdrand: { kind: "ok" }, rdseed: { kind: "ok" } };
    case "absent":
      return { rdrand: { kind: "absent" }, rdseed: { kind: "absent" } };
    case "fail":
      return { rdrand: { kind: "fail" }, rdseed: { kind: "fail" } };
    case "stuck":
      return { rdrand: { kind: "stuck" }, rdseed: { kind: "stuck" } };
    case "flaky": {
      const p = rdrand.failProbability;
      return {
        rdrand: { kind: "flaky", failProbability: p, seed: deciderSeed(randomBytes) },
        rdseed: { kind: "flaky", failProbability: p, seed: deciderSeed(randomBytes) },
      };
    }
  }
}

/** The guest's boot CPU with the spec's RDRAND/RDSEED behaviour; RDTSC follows `clock`. */
export function buildCpu(spec: GuestSpec, randomBytes: (n: number) => Uint8Array, clock: Clock) {
  return new X86Cpu({ ...instructionModes(spec.rdrand, randomBytes), randomBytes, clock });
}

/**
 * What random.c calls on x86 (arch/x86/include/asm/archrandom.h): RDSEED and RDRAND through the
 * CPU model, gated by the cpufeature bits x86_init_rdrand() may clear, and random_get_entropy()
 * = RDTSC from the injected counter. The process passes real nanoseconds (process.hrtime), so
 * the jitter and interrupt timings carry real noise and two identical guests diverge; tests
 * pass nothing and get the CPU model's deterministic TSC derived from virtual time.
 */
export class GuestArch implements ArchRandom {
  private readonly x86: X86ArchRandom;

  constructor(
    readonly cpu: X86Cpu,
    private readonly tsc?: () => bigint,
  ) {
    this.x86 = new X86ArchRandom(cpu);
  }

  getRandomSeedLongs(max: number): bigint[] {
    return this.x86.getRandomSeedLongs(max);
  }

  getRandomLongs(max: number): bigint[] {
    return this.x86.getRandomLongs(max);
  }

  getEntropy(): bigint {
    return this.tsc ? this.tsc() : this.cpu.rdtsc();
  }
}
