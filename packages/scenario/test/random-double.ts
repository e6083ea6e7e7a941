import type { PlanRandom } from "../src/schedule.js";

/**
 * A tiny deterministic stand-in for @vmrng/faults' SeededRandom: mulberry32 over a u32 state.
 * Only for tests; the runner passes the real one.
 */
export function testRandom(seed: number): PlanRandom & { draws: number } {
  let state = seed >>> 0;
  const r = {
    draws: 0,
    float(): number {
      r.draws++;
      state = (state + 0x6d2b79f5) >>> 0;
      let t = state;
      t = Math.imul(t ^ (t >>> 15), t | 1);
      t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
      return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
    },
    int(n: number): number {
      return Math.floor(r.float() * n);
    },
  };
  return r;
}
