import type { ArchRandom } from "../src/index.js";
import { Crng, type CrngOptions, ManualClock, NoArchRandom } from "../src/index.js";

/** splitmix64: a tiny deterministic generator for test "hardware" with a copyable state. */
export function splitmix64(state: { s: bigint }): bigint {
  const M = (1n << 64n) - 1n;
  state.s = (state.s + 0x9e3779b97f4a7c15n) & M;
  let z = state.s;
  z = ((z ^ (z >> 30n)) * 0xbf58476d1ce4e5b9n) & M;
  z = ((z ^ (z >> 27n)) * 0x94d049bb133111ebn) & M;
  return z ^ (z >> 31n);
}

/**
 * An x86-like CPU for tests: RDSEED/RDRAND give one long per call while their budgets last
 * (Infinity = always), values from splitmix64; the TSC steps by 1000. Every call is logged.
 */
export class ScriptedArch implements ArchRandom {
  readonly log: string[] = [];
  rng = { s: 0n };
  tsc = 0n;
  constructor(
    public seedBudget = 0,
    public randBudget = 0,
    seed = 1n,
  ) {
    this.rng.s = seed;
  }
  getRandomSeedLongs(max: number): bigint[] {
    this.log.push("seed");
    if (max <= 0 || this.seedBudget <= 0) return [];
    this.seedBudget--;
    return [splitmix64(this.rng)];
  }
  getRandomLongs(max: number): bigint[] {
    this.log.push("rand");
    if (max <= 0 || this.randBudget <= 0) return [];
    this.randBudget--;
    return [splitmix64(this.rng)];
  }
  getEntropy(): bigint {
    this.log.push("tsc");
    this.tsc += 1000n;
    return this.tsc;
  }
  clone(): ScriptedArch {
    const a = new ScriptedArch(this.seedBudget, this.randBudget);
    a.rng.s = this.rng.s;
    a.tsc = this.tsc;
    return a;
  }
}

/** A counter that never moves: try_to_generate_entropy()'s trial rejects it. */
export class FrozenCounterArch extends NoArchRandom {
  override getEntropy(): bigint {
    return 42n;
  }
}

export function boot(opts: Partial<CrngOptions> = {}): { clock: ManualClock; crng: Crng } {
  const clock = new ManualClock();
  const crng = new Crng({ clock, arch: new NoArchRandom(), ...opts });
  return { clock, crng };
}

/** Credit exactly `bits` through RNDADDTOENTCNT-like accounting: hwrng input with that credit. */
export function credit(crng: Crng, bits: number, fill = 0xaa): void {
  crng.addHwgeneratorRandomness(new Uint8Array(32).fill(fill), bits, false);
}

export function hex(b: Uint8Array): string {
  return Buffer.from(b).toString("hex");
}
