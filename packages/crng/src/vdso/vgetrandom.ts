import {
  chachaBlocks,
  chachaBlocksWords,
  chachaInit,
  chachaZeroize,
  HOST_IS_LE,
  newChachaState,
} from "../crypto/chacha20.js";
import { CHACHA_BLOCK_SIZE, GRND_ALL, MAX_RW_COUNT } from "../kernel/constants.js";
import type { Kernel } from "../kernel/state.js";
import { sysGetrandom } from "../kernel/userspace.js";
import type { VgetrandomState } from "./vgetrandom-state.js";

const vstate = newChachaState();

/**
 * __cvdso_getrandom_data() of lib/vdso/getrandom.c: userspace fast key erasure.
 *  - unknown flags, kernel RNG not ready, or state in use: fall back to the syscall;
 *  - if state->generation != rng_info->generation: store the new generation, reseed state->key
 *    from getrandom(key, 32, 0), and mark the batch empty;
 *  - serve from the batch (zeroing what is copied out), then whole blocks straight from
 *    ChaCha20(state->key, nonce 0, counter from 0 for this call), then refill batch_key with the
 *    following blocks, which overwrites the key (fast key erasure), and serve the rest;
 *  - re-check the generation at the end and start over once if it moved.
 */
export function vgetrandom(
  k: Kernel,
  state: VgetrandomState,
  len: number,
  flags: number,
  cpu: number,
): Uint8Array {
  const ret = Math.min(len, MAX_RW_COUNT);
  if (flags & ~GRND_ALL) return sysGetrandom(k, len, flags, cpu);
  const rng = k.s.vdsoData;
  if (!rng.isReady) return sysGetrandom(k, len, flags, cpu);
  if (ret === 0) return new Uint8Array(0);
  if (state.inUse) return sysGetrandom(k, len, flags, cpu);
  state.inUse = true;

  const batchLen = state.batchLen;
  // Common case, same bytes as the loop below: the whole request comes out of the batch.
  if (state.generation === rng.generation && batchLen - state.pos >= ret) {
    const out = state.batchKey.slice(state.pos, state.pos + ret);
    state.batchKey.fill(0, state.pos, state.pos + ret);
    state.pos += ret;
    state.inUse = false;
    return out;
  }
  const out = new Uint8Array(ret);
  let haveRetried = false;
  // u32 counter[2] = { 0 }: one 64-bit block counter for the whole call, retries included.
  let ctrLo = 0;
  let ctrHi = 0;
  for (;;) {
    // retry_generation:
    const current = rng.generation;
    if (state.generation !== current) {
      state.generation = current;
      const key = sysGetrandom(k, 32, 0, cpu);
      state.batchKey.set(key, batchLen);
      key.fill(0);
      state.pos = batchLen;
    }
    let p = 0;
    let left = ret;
    for (;;) {
      // more_batch:
      const take = Math.min(batchLen - state.pos, left);
      if (take > 0) {
        copyAndZero(out, p, state.batchKey, state.pos, take);
        state.pos += take;
        p += take;
        left -= take;
      }
      if (left === 0) break;
      chachaInit(vstate, state.batchKey, batchLen);
      vstate[12] = ctrLo;
      vstate[13] = ctrHi;
      const nblocks = Math.floor(left / CHACHA_BLOCK_SIZE);
      if (nblocks > 0) {
        chachaBlocks(vstate, out, p, nblocks);
        p += nblocks * CHACHA_BLOCK_SIZE;
        left -= nblocks * CHACHA_BLOCK_SIZE;
      }
      if (HOST_IS_LE) chachaBlocksWords(vstate, state.batchKey32, 0, state.batchBlocks);
      else chachaBlocks(vstate, state.batchKey, 0, state.batchBlocks);
      ctrLo = vstate[12]!;
      ctrHi = vstate[13]!;
      chachaZeroize(vstate);
      state.pos = 0;
    }
    if (state.generation !== rng.generation) {
      if (haveRetried) {
        state.inUse = false;
        return sysGetrandom(k, len, flags, cpu);
      }
      haveRetried = true;
      continue;
    }
    state.inUse = false;
    return out;
  }
}

/** memcpy_and_zero_src(): serve batch bytes and erase them in the same pass. */
function copyAndZero(dst: Uint8Array, d: number, src: Uint8Array, from: number, n: number): void {
  if (n <= 64) {
    for (let i = 0; i < n; i++) {
      dst[d + i] = src[from + i]!;
      src[from + i] = 0;
    }
    return;
  }
  dst.set(src.subarray(from, from + n), d);
  src.fill(0, from, from + n);
}
