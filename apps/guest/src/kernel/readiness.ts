import type { CrngSnapshot } from "@vmrng/crng";
import { POOL_READY_BITS } from "@vmrng/crng";

/** Which kernel input pushed crng_init to READY. */
export type ReadinessSource =
  /** parse_setup_data(): SETUP_RNG_SEED through add_bootloader_randomness(). */
  | "setup_data seed"
  /** random_init_early(): RDSEED/RDRAND longs credited under random.trust_cpu. */
  | "RDRAND (random_init_early)"
  /** hw_random: add_early_randomness() or the hwrng kthread's add_hwgenerator_randomness(). */
  | "virtio-rng"
  /** The CommonHV RNG MSR, credited only with trust.msr outside CoCo. */
  | "msr"
  /** mix_interrupt_randomness(): the per-CPU fast pools. */
  | "interrupts"
  /** try_to_generate_entropy(): timer jitter while a reader is blocked. */
  | "jitter"
  /** Restored from a snapshot taken after READY. */
  | "snapshot"
  /** Crediting happened outside every tracked entry point (should not occur). */
  | "unknown";

/**
 * Tracks which kernel entry point is running, so that when random.c fires "crng init done"
 * (synchronously, from inside _credit_init_bits()) the guest knows who got it there.
 */
export class ReadinessTracker {
  private current: ReadinessSource | null = null;
  readyAtMs: number | null = null;
  source: ReadinessSource | null = null;

  /** Run `fn` as entry point `source` (nestable). */
  as<T>(source: ReadinessSource | null, fn: () => T): T {
    const prev = this.current;
    this.current = source;
    try {
      return fn();
    } finally {
      this.current = prev;
    }
  }

  /** Called from the "crng-init-done" event. */
  initDone(atMs: number): void {
    if (this.readyAtMs !== null) return;
    this.readyAtMs = atMs;
    this.source = this.current ?? "unknown";
  }

  get isReady(): boolean {
    return this.readyAtMs !== null;
  }
}

/**
 * Which crediting timer is about to make the CRNG ready at deadline `at`, judged from the
 * state just before it runs. Timers due at the same instant run reseed work first, then the
 * fast pools by CPU, then the jitter timer (Crng.runTimers); a fast-pool mix credits
 * clamp((count & 0xffff) / 64, 1, 128) bits (mix_interrupt_randomness), a jitter firing at
 * most 1. So when both are due, the fast pools are the source iff their credit alone reaches
 * POOL_READY_BITS. null: no crediting timer is due (reseed work, a jitter retry).
 */
export function crediting(s: CrngSnapshot, at: number): "interrupts" | "jitter" | null {
  const pools = s.fastPools.filter((f) => f.mixDueAt !== null && f.mixDueAt <= at);
  const jitter = s.jitter.phase === "running" && s.jitter.dueAt !== null && s.jitter.dueAt <= at;
  if (pools.length === 0) return jitter ? "jitter" : null;
  if (!jitter) return "interrupts";
  let bits = s.pool.initBits;
  for (const f of pools) bits += Math.min(Math.max(Math.floor((f.count & 0xffff) / 64), 1), 128);
  return bits >= POOL_READY_BITS ? "interrupts" : "jitter";
}
