import {
  type ChachaState,
  chacha20Block,
  chachaBlocks,
  chachaInit,
  chachaSetKeyWords,
  chachaZeroize,
} from "../crypto/chacha20.js";
import type { ReseedReason } from "../events.js";
import {
  CHACHA_BLOCK_SIZE,
  CHACHA_KEY_SIZE,
  CRNG_EMPTY,
  CRNG_READY,
  CRNG_RESEED_INTERVAL_S,
  CRNG_RESEED_START_INTERVAL_S,
  ULONG_MAX,
} from "./constants.js";
import type { Kernel } from "./state.js";

/** Section "Fast key erasure RNG, the crng" of drivers/char/random.c (v6.12). */

/** crng_ready(): static_branch_likely(&crng_is_ready) || crng_init >= CRNG_READY. */
export function crngReady(k: Kernel): boolean {
  return k.s.crngInit >= CRNG_READY;
}

/**
 * crng_reseed_interval(), in jiffies: while uptime < 2 * CRNG_RESEED_INTERVAL (120 s),
 * max(CRNG_RESEED_START_INTERVAL, uptime / 2 * HZ) with integer seconds; then
 * CRNG_RESEED_INTERVAL (60 s). The static early_boot flag latches off once past 120 s.
 */
export function crngReseedInterval(k: Kernel): number {
  const hz = k.s.config.hz;
  const work = k.s.reseedWork;
  if (work.earlyBoot) {
    const uptime = Math.floor(k.now() / 1000); // ktime_get_seconds()
    if (uptime >= CRNG_RESEED_INTERVAL_S * 2) work.earlyBoot = false;
    else return Math.max(CRNG_RESEED_START_INTERVAL_S * hz, Math.floor(uptime / 2) * hz);
  }
  return CRNG_RESEED_INTERVAL_S * hz;
}

/**
 * crng_reseed(): first (re)queue the delayed work `next_reseed` for crng_reseed_interval() from
 * now (a no-op while it is still pending, and skipped before workqueues exist), then extract a
 * new base key, bump base_crng.generation skipping ULONG_MAX, publish generation + 1 to the vDSO
 * data page, and set crng_init = CRNG_READY.
 */
export function crngReseed(k: Kernel, reason: ReseedReason): void {
  const s = k.s;
  if (s.reseedWork.workqueuesOnline) {
    const delay = crngReseedInterval(k);
    if (s.reseedWork.dueAt === null) s.reseedWork.dueAt = k.jiffies.after(k.now(), delay);
  }
  const key = s.pool.extract(CHACHA_KEY_SIZE, k.arch);
  s.base.key.set(key);
  key.fill(0);
  let next = (s.base.generation + 1n) & ULONG_MAX;
  if (next === ULONG_MAX) next = 0n; // ++next_gen wraps past ULONG_MAX
  s.base.generation = next;
  // vdso_rng_data->generation = next_gen + 1 (its invalid value is 0, base_crng's is ULONG_MAX).
  s.vdsoData.generation = (next + 1n) & ULONG_MAX;
  s.crngInit = CRNG_READY;
  k.emit({
    kind: "crng-reseed",
    printk: false,
    reason,
    generation: next,
    message: `random: crng_reseed (${reason}): base_crng.generation ${next}`,
  });
}

/** The self-rescheduling delayed work firing: it is no longer pending when it runs. */
export function crngReseedWork(k: Kernel): void {
  k.s.reseedWork.dueAt = null;
  crngReseed(k, "periodic");
}

const firstBlock = new Uint8Array(CHACHA_BLOCK_SIZE);

/**
 * crng_fast_key_erasure(key, chacha_state, random_data, len): one ChaCha20 block from
 * (constants, key, counter 0, zero nonce); its first 32 bytes replace the key, the next `len`
 * (<= 32) go to random_data. chacha_state is left holding the OLD key with x[12] = 1.
 */
export function crngFastKeyErasure(
  key: Uint8Array,
  state: ChachaState,
  randomData: Uint8Array,
  randomOffset: number,
  len: number,
): void {
  chachaInit(state, key);
  chacha20Block(state, firstBlock);
  key.set(firstBlock.subarray(0, CHACHA_KEY_SIZE));
  randomData.set(firstBlock.subarray(CHACHA_KEY_SIZE, CHACHA_KEY_SIZE + len), randomOffset);
  firstBlock.fill(0);
}

/**
 * crng_make_state(): before crng_ready(), fast key erasure straight on base_crng, extracting a
 * fresh base key from the pool first while crng_init is CRNG_EMPTY (CRNG_EARLY keeps its key).
 * Once ready, the CPU's crng is re-keyed from base_crng when its generation is stale, then
 * fast key erasure on the per-CPU key.
 */
export function crngMakeState(
  k: Kernel,
  cpu: number,
  state: ChachaState,
  randomData: Uint8Array,
  randomOffset: number,
  len: number,
): void {
  const s = k.s;
  if (!crngReady(k)) {
    if (s.crngInit === CRNG_EMPTY) {
      const key = s.pool.extract(CHACHA_KEY_SIZE, k.arch);
      s.base.key.set(key);
      key.fill(0);
    }
    crngFastKeyErasure(s.base.key, state, randomData, randomOffset, len);
    return;
  }
  const crng = s.crngs[cpu]!;
  if (crng.generation !== s.base.generation) {
    crngFastKeyErasure(s.base.key, state, crng.key, 0, CHACHA_KEY_SIZE);
    crng.generation = s.base.generation;
  }
  crngFastKeyErasure(crng.key, state, randomData, randomOffset, len);
}

/**
 * get_random_bytes_user(): crng_make_state() writes its 32 random bytes over x[4..11] (the old
 * key). A read of <= 32 bytes returns those bytes; a longer one returns ChaCha20 blocks of that
 * state from counter 1 on (the 32 bytes themselves are never returned), carrying into x[13].
 */
export function getRandomBytesUser(k: Kernel, cpu: number, len: number): Uint8Array {
  if (len === 0) return new Uint8Array(0);
  const state = k.scratch;
  const random = new Uint8Array(CHACHA_KEY_SIZE);
  crngMakeState(k, cpu, state, random, 0, CHACHA_KEY_SIZE);
  chachaSetKeyWords(state, random);
  if (len <= CHACHA_KEY_SIZE) {
    chachaZeroize(state);
    return len === CHACHA_KEY_SIZE ? random : random.slice(0, len);
  }
  random.fill(0);
  const out = new Uint8Array(len);
  fillBlocks(state, out, 0, len);
  chachaZeroize(state);
  return out;
}

/**
 * _get_random_bytes() (in-kernel get_random_bytes()): the first min(32, len) bytes come from
 * fast key erasure directly; the rest are ChaCha20 blocks of the returned state, which still
 * holds the pre-erasure key, from counter 1.
 */
export function getRandomBytesKernel(k: Kernel, cpu: number, len: number): Uint8Array {
  const out = new Uint8Array(len);
  if (len === 0) return out;
  const state = k.scratch;
  const first = Math.min(CHACHA_KEY_SIZE, len);
  crngMakeState(k, cpu, state, out, 0, first);
  if (len > first) fillBlocks(state, out, first, len - first);
  chachaZeroize(state);
  return out;
}

/** Whole blocks straight into `out`, the tail through a zeroized temporary block. */
function fillBlocks(state: ChachaState, out: Uint8Array, offset: number, len: number): void {
  const full = Math.floor(len / CHACHA_BLOCK_SIZE);
  chachaBlocks(state, out, offset, full);
  const tail = len - full * CHACHA_BLOCK_SIZE;
  if (tail > 0) {
    const tmp = new Uint8Array(CHACHA_BLOCK_SIZE);
    chachaBlocks(state, tmp, 0, 1);
    out.set(tmp.subarray(0, tail), offset + full * CHACHA_BLOCK_SIZE);
    tmp.fill(0);
  }
}
