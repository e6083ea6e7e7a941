import { u64le } from "../bytes.js";
import { FAST_POOL_MIX_COUNT, MIX_INFLIGHT } from "./constants.js";
import { creditInitBits } from "./credit.js";
import {
  fastMix,
  SIPHASH_CONST_0,
  SIPHASH_CONST_1,
  SIPHASH_CONST_2,
  SIPHASH_CONST_3,
  swab64,
} from "./siphash.js";
import type { Kernel } from "./state.js";

/** struct fast_pool (per CPU irq_randomness): pool[4], last (jiffies), count, and its mix timer. */
export interface FastPool {
  pool: bigint[];
  last: number;
  count: number;
  /** The `mix` timer's expiry in virtual ms, null when not pending. */
  mixDueAt: number | null;
}

export function newFastPool(): FastPool {
  return {
    pool: [SIPHASH_CONST_0, SIPHASH_CONST_1, SIPHASH_CONST_2, SIPHASH_CONST_3],
    last: 0,
    count: 0,
    mixDueAt: null,
  };
}

/**
 * add_interrupt_randomness(irq): fast_mix(cycle counter, ip ^ swab(irq)) into this CPU's pool;
 * on the 1024th interrupt or when a second has passed since the last mix, set MIX_INFLIGHT and
 * arm the mix timer for the next tick.
 */
export function addInterruptRandomness(k: Kernel, cpu: number, irq: number, ip: bigint): void {
  const fp = k.s.fastPools[cpu]!;
  const entropy = k.arch.entropy();
  fastMix(fp.pool, entropy, ip ^ swab64(BigInt.asUintN(64, BigInt(irq))));
  const newCount = (fp.count + 1) >>> 0;
  fp.count = newCount;
  if (newCount & MIX_INFLIGHT) return;
  const now = k.now();
  // time_is_before_jiffies(fast_pool->last + HZ)
  if (newCount < FAST_POOL_MIX_COUNT && !(k.jiffies.at(now) > fp.last + k.s.config.hz)) return;
  fp.count = (fp.count | MIX_INFLIGHT) >>> 0;
  if (fp.mixDueAt === null) fp.mixDueAt = k.jiffies.nextTick(now);
}

/**
 * mix_interrupt_randomness() (the timer): take pool[0..1] (16 bytes; pool[2..3] carry over as the
 * next "key"), reset count, stamp last, mix, and credit clamp((count & 0xffff) / 64, 1, 128).
 */
export function mixInterruptRandomness(k: Kernel, cpu: number): void {
  const fp = k.s.fastPools[cpu]!;
  fp.mixDueAt = null;
  const bytes = new Uint8Array(16);
  bytes.set(u64le(fp.pool[0]!), 0);
  bytes.set(u64le(fp.pool[1]!), 8);
  const count = fp.count;
  fp.count = 0;
  fp.last = k.jiffies.at(k.now());
  k.s.pool.mix(bytes);
  bytes.fill(0);
  creditInitBits(k, Math.min(Math.max(Math.floor((count & 0xffff) / 64), 1), 128));
}
