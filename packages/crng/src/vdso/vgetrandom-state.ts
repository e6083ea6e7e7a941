import { CHACHA_BLOCK_SIZE, CHACHA_KEY_SIZE } from "../kernel/constants.js";

/** The kernel's layout: batch_key is two ChaCha blocks, batch = 1.5 blocks, key = 0.5 block. */
export const VDSO_BATCH_BLOCKS = 2;

export interface VgetrandomStateSnapshot {
  batchKey: Uint8Array;
  pos: number;
  generation: bigint;
}

/**
 * struct vgetrandom_state (include/vdso/getrandom.h): a union of { batch[96], key[32] } and
 * batch_key[128], then generation and pos. Memory from mmap() starts zeroed: generation 0 never
 * matches a ready kernel's (base generation + 1 >= 2), so the zero batch is never served.
 *
 * `batchBlocks` generalizes the union to N blocks (batch = N * 64 - 32 bytes, key = last 32);
 * N = 2 is the kernel's struct. A larger batch refills less often, which matters for JS per-call
 * overhead; reseed invalidation is unchanged since it is per generation, not per batch.
 */
export class VgetrandomState {
  readonly batchKey: Uint8Array;
  /** A word view of batchKey for the refill (fresh ArrayBuffer, so always aligned). */
  readonly batchKey32: Uint32Array;
  pos = 0;
  generation = 0n;
  /** Reentrancy guard; nothing in this emulation re-enters, but the check is kept. */
  inUse = false;

  constructor(readonly batchBlocks: number = VDSO_BATCH_BLOCKS) {
    if (!Number.isInteger(batchBlocks) || batchBlocks < 2 || batchBlocks > 1024) {
      throw new RangeError(`batchBlocks must be an integer in 2..1024, got ${batchBlocks}`);
    }
    this.batchKey = new Uint8Array(batchBlocks * CHACHA_BLOCK_SIZE);
    this.batchKey32 = new Uint32Array(this.batchKey.buffer);
  }

  /** sizeof(state->batch). */
  get batchLen(): number {
    return this.batchKey.length - CHACHA_KEY_SIZE;
  }

  snapshot(): VgetrandomStateSnapshot {
    return { batchKey: this.batchKey.slice(), pos: this.pos, generation: this.generation };
  }

  static restore(s: VgetrandomStateSnapshot): VgetrandomState {
    const blocks = s.batchKey.length / CHACHA_BLOCK_SIZE;
    const st = new VgetrandomState(blocks);
    st.batchKey.set(s.batchKey);
    st.pos = s.pos;
    st.generation = s.generation;
    return st;
  }
}
