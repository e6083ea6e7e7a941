import {
  CHACHA_KEY_SIZE,
  CRNG_EARLY,
  CRNG_EMPTY,
  POOL_BITS,
  POOL_EARLY_BITS,
  POOL_READY_BITS,
} from "./constants.js";
import { crngReady, crngReseed } from "./crng-core.js";
import type { Kernel } from "./state.js";

/** credit_init_bits(bits): `if (!crng_ready()) _credit_init_bits(bits)`. */
export function creditInitBits(k: Kernel, bits: number): void {
  if (!crngReady(k)) creditInitBitsRaw(k, bits);
}

/**
 * _credit_init_bits(): add min(bits, POOL_BITS) to input_pool.init_bits, saturating at POOL_BITS.
 * Crossing POOL_READY_BITS: crng_reseed() (sets CRNG_READY), the vDSO is_ready flag, wake the
 * waiters, "crng init done" and the missed-urandom-warnings count. Otherwise crossing
 * POOL_EARLY_BITS while still CRNG_EMPTY: extract a base key, CRNG_EARLY, no generation bump.
 */
export function creditInitBitsRaw(k: Kernel, bits: number): void {
  if (!(bits > 0)) return;
  const s = k.s;
  const add = Math.min(Math.floor(bits), POOL_BITS);
  const orig = s.pool.initBits;
  const next = Math.min(POOL_BITS, orig + add);
  s.pool.initBits = next;

  if (orig < POOL_READY_BITS && next >= POOL_READY_BITS) {
    crngReseed(k, "init");
    s.vdsoData.isReady = true;
    if (s.jitter.phase === "retry") {
      s.jitter.phase = "idle";
      s.jitter.dueAt = null;
    }
    k.wakeReady();
    k.emit({ kind: "crng-init-done", printk: true, message: "random: crng init done" });
    const missed = s.urandomWarning.missed;
    if (missed) {
      k.emit({
        kind: "urandom-warnings-missed",
        printk: true,
        missed,
        message: `random: ${missed} urandom warning(s) missed due to ratelimiting`,
      });
    }
  } else if (orig < POOL_EARLY_BITS && next >= POOL_EARLY_BITS) {
    if (s.crngInit === CRNG_EMPTY) {
      const key = s.pool.extract(CHACHA_KEY_SIZE, k.arch);
      s.base.key.set(key);
      key.fill(0);
      s.crngInit = CRNG_EARLY;
      k.emit({
        kind: "crng-early",
        printk: false,
        initBits: next,
        message: `random: crng_init CRNG_EMPTY -> CRNG_EARLY at ${next} credited bits (base key extracted)`,
      });
    }
  }
}
