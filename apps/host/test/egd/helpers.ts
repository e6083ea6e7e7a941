import { ManualClock } from "@vmrng/crng";
import { EgdEntropyPool, type EgdPoolOptions } from "../../src/egd/pool.js";

/** A fixed "OS entropy" stream: call k returns n bytes of value (tag + k), so runs repeat. */
export function fixedSeeds(tag = 1): { source: (n: number) => Uint8Array; calls: () => number } {
  let k = 0;
  return {
    source: (n) => new Uint8Array(n).fill((tag + k++) & 0xff),
    calls: () => k,
  };
}

export function testPool(
  tag = 1,
  extra: Partial<EgdPoolOptions> = {},
): { pool: EgdEntropyPool; clock: ManualClock; seedCalls: () => number } {
  const clock = new ManualClock(0);
  const seeds = fixedSeeds(tag);
  const pool = new EgdEntropyPool({ seedSource: seeds.source, clock, ...extra });
  return { pool, clock, seedCalls: seeds.calls };
}

export const hex = (b: Uint8Array): string => Buffer.from(b).toString("hex");
