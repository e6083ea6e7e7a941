import type { ArchRandom } from "../arch.js";
import { CrngError } from "../errors.js";

const U64 = (1n << 64n) - 1n;

/**
 * The ArchRandom the caller passed in, with its answers checked: at most `max` longs, each a
 * bigint reduced to 64 bits. A misbehaving implementation gets a typed error, not silent garbage.
 */
export class ArchSource {
  constructor(readonly arch: ArchRandom) {}

  /** arch_get_random_seed_longs(v, max): RDSEED. */
  seedLongs(max: number): bigint[] {
    return this.check(this.arch.getRandomSeedLongs(max), max, "getRandomSeedLongs");
  }

  /** arch_get_random_longs(v, max): RDRAND. */
  longs(max: number): bigint[] {
    return this.check(this.arch.getRandomLongs(max), max, "getRandomLongs");
  }

  /** random_get_entropy(): the cycle counter. */
  entropy(): bigint {
    const v = this.arch.getEntropy();
    if (typeof v !== "bigint") {
      throw new CrngError("EPLATFORM", `ArchRandom.getEntropy() returned ${typeof v}, not bigint`);
    }
    return v & U64;
  }

  private check(got: unknown, max: number, what: string): bigint[] {
    if (!Array.isArray(got)) {
      throw new CrngError("EPLATFORM", `ArchRandom.${what}() returned ${typeof got}, not bigint[]`);
    }
    const n = Math.min(got.length, max);
    const out: bigint[] = new Array(n);
    for (let i = 0; i < n; i++) {
      const v: unknown = got[i];
      if (typeof v !== "bigint") {
        throw new CrngError("EPLATFORM", `ArchRandom.${what}() returned a ${typeof v} element`);
      }
      out[i] = v & U64;
    }
    return out;
  }
}
