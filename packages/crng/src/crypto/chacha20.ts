import { CHACHA_BLOCK_SIZE } from "../kernel/constants.js";

/**
 * ChaCha20 over the kernel's `struct chacha_state` layout (include/crypto/chacha.h, lib/crypto):
 *   x[0..3]   "expand 32-byte k" (chacha_init_consts)
 *   x[4..11]  key, little-endian words
 *   x[12..13] 64-bit block counter, low word first
 *   x[14..15] zero in every random.c use (memset(&x[12], 0, 16) in crng_fast_key_erasure)
 * chacha20_block() emits one block and increments x[12] only; random.c's callers carry into
 * x[13] themselves (`if (unlikely(chacha_state.x[12] == 0)) ++chacha_state.x[13]`).
 */
export type ChachaState = Uint32Array;

const C0 = 0x61707865;
const C1 = 0x3320646e;
const C2 = 0x79622d32;
const C3 = 0x6b206574;

const IS_LE = new Uint8Array(Uint32Array.of(1).buffer)[0] === 1;
const scratch32 = new Uint32Array(16);
const scratch8 = new Uint8Array(scratch32.buffer);

export function newChachaState(): ChachaState {
  return new Uint32Array(16);
}

/** chacha_init_consts() + key into x[4..11] + x[12..15] = 0, as crng_fast_key_erasure sets it up. */
export function chachaInit(state: ChachaState, key: Uint8Array, keyOffset = 0): void {
  state[0] = C0;
  state[1] = C1;
  state[2] = C2;
  state[3] = C3;
  for (let i = 0; i < 8; i++) {
    const o = keyOffset + 4 * i;
    state[4 + i] = (key[o]! | (key[o + 1]! << 8) | (key[o + 2]! << 16) | (key[o + 3]! << 24)) >>> 0;
  }
  state[12] = 0;
  state[13] = 0;
  state[14] = 0;
  state[15] = 0;
}

/** Writes the 32 key bytes held in x[4..11] (little-endian) into `out`. */
export function chachaKeyBytes(state: ChachaState, out: Uint8Array, offset = 0): void {
  for (let i = 0; i < 8; i++) {
    const w = state[4 + i]!;
    const o = offset + 4 * i;
    out[o] = w & 0xff;
    out[o + 1] = (w >>> 8) & 0xff;
    out[o + 2] = (w >>> 16) & 0xff;
    out[o + 3] = (w >>> 24) & 0xff;
  }
}

/** Overwrites x[4..11] with 32 bytes (get_random_bytes_user hands &x[4] to crng_make_state). */
export function chachaSetKeyWords(state: ChachaState, bytes: Uint8Array, offset = 0): void {
  for (let i = 0; i < 8; i++) {
    const o = offset + 4 * i;
    state[4 + i] =
      (bytes[o]! | (bytes[o + 1]! << 8) | (bytes[o + 2]! << 16) | (bytes[o + 3]! << 24)) >>> 0;
  }
}

/** chacha_zeroize_state() / memzero_explicit(chacha_state). */
export function chachaZeroize(state: ChachaState): void {
  state.fill(0);
}

/**
 * chacha20_block() (lib/crypto/chacha.c chacha_block_generic): 20 rounds over a copy of the
 * state, add the input state, serialize little-endian into out[offset..offset+64), then x[12]++
 * with no carry.
 *
 * The block function is written out here, not called through @noble/ciphers: noble's exported
 * ciphers refuse the x[12] = 0xffffffff block the kernel's 64-bit counter can reach, a single
 * block through them costs ~10x more (key copy, nonce padding, XOR with zeros), and in bulk this
 * loop measured ~1.6x noble's throughput on V8. Tests hold it to the RFC 8439 vectors and to
 * noble's chacha20 on random states.
 */
export function chacha20Block(state: ChachaState, out: Uint8Array, offset = 0): void {
  blockWords(state, scratch32, 0);
  if (!IS_LE) for (let i = 0; i < 16; i++) scratch32[i] = byteSwap32(scratch32[i]!);
  out.set(scratch8, offset);
  scratch32.fill(0);
}

/** The core: one block of `state` as 16 native-endian words into out32[w..w+16), then x[12]++. */
function blockWords(state: ChachaState, o: Uint32Array, w: number): void {
  const j0 = state[0]! | 0;
  const j1 = state[1]! | 0;
  const j2 = state[2]! | 0;
  const j3 = state[3]! | 0;
  const j4 = state[4]! | 0;
  const j5 = state[5]! | 0;
  const j6 = state[6]! | 0;
  const j7 = state[7]! | 0;
  const j8 = state[8]! | 0;
  const j9 = state[9]! | 0;
  const j10 = state[10]! | 0;
  const j11 = state[11]! | 0;
  const j12 = state[12]! | 0;
  const j13 = state[13]! | 0;
  const j14 = state[14]! | 0;
  const j15 = state[15]! | 0;
  let x0 = j0;
  let x1 = j1;
  let x2 = j2;
  let x3 = j3;
  let x4 = j4;
  let x5 = j5;
  let x6 = j6;
  let x7 = j7;
  let x8 = j8;
  let x9 = j9;
  let x10 = j10;
  let x11 = j11;
  let x12 = j12;
  let x13 = j13;
  let x14 = j14;
  let x15 = j15;
  for (let r = 0; r < 20; r += 2) {
    // Column round.
    x0 = (x0 + x4) | 0;
    x12 ^= x0;
    x12 = (x12 << 16) | (x12 >>> 16);
    x8 = (x8 + x12) | 0;
    x4 ^= x8;
    x4 = (x4 << 12) | (x4 >>> 20);
    x0 = (x0 + x4) | 0;
    x12 ^= x0;
    x12 = (x12 << 8) | (x12 >>> 24);
    x8 = (x8 + x12) | 0;
    x4 ^= x8;
    x4 = (x4 << 7) | (x4 >>> 25);

    x1 = (x1 + x5) | 0;
    x13 ^= x1;
    x13 = (x13 << 16) | (x13 >>> 16);
    x9 = (x9 + x13) | 0;
    x5 ^= x9;
    x5 = (x5 << 12) | (x5 >>> 20);
    x1 = (x1 + x5) | 0;
    x13 ^= x1;
    x13 = (x13 << 8) | (x13 >>> 24);
    x9 = (x9 + x13) | 0;
    x5 ^= x9;
    x5 = (x5 << 7) | (x5 >>> 25);

    x2 = (x2 + x6) | 0;
    x14 ^= x2;
    x14 = (x14 << 16) | (x14 >>> 16);
    x10 = (x10 + x14) | 0;
    x6 ^= x10;
    x6 = (x6 << 12) | (x6 >>> 20);
    x2 = (x2 + x6) | 0;
    x14 ^= x2;
    x14 = (x14 << 8) | (x14 >>> 24);
    x10 = (x10 + x14) | 0;
    x6 ^= x10;
    x6 = (x6 << 7) | (x6 >>> 25);

    x3 = (x3 + x7) | 0;
    x15 ^= x3;
    x15 = (x15 << 16) | (x15 >>> 16);
    x11 = (x11 + x15) | 0;
    x7 ^= x11;
    x7 = (x7 << 12) | (x7 >>> 20);
    x3 = (x3 + x7) | 0;
    x15 ^= x3;
    x15 = (x15 << 8) | (x15 >>> 24);
    x11 = (x11 + x15) | 0;
    x7 ^= x11;
    x7 = (x7 << 7) | (x7 >>> 25);

    // Diagonal round.
    x0 = (x0 + x5) | 0;
    x15 ^= x0;
    x15 = (x15 << 16) | (x15 >>> 16);
    x10 = (x10 + x15) | 0;
    x5 ^= x10;
    x5 = (x5 << 12) | (x5 >>> 20);
    x0 = (x0 + x5) | 0;
    x15 ^= x0;
    x15 = (x15 << 8) | (x15 >>> 24);
    x10 = (x10 + x15) | 0;
    x5 ^= x10;
    x5 = (x5 << 7) | (x5 >>> 25);

    x1 = (x1 + x6) | 0;
    x12 ^= x1;
    x12 = (x12 << 16) | (x12 >>> 16);
    x11 = (x11 + x12) | 0;
    x6 ^= x11;
    x6 = (x6 << 12) | (x6 >>> 20);
    x1 = (x1 + x6) | 0;
    x12 ^= x1;
    x12 = (x12 << 8) | (x12 >>> 24);
    x11 = (x11 + x12) | 0;
    x6 ^= x11;
    x6 = (x6 << 7) | (x6 >>> 25);

    x2 = (x2 + x7) | 0;
    x13 ^= x2;
    x13 = (x13 << 16) | (x13 >>> 16);
    x8 = (x8 + x13) | 0;
    x7 ^= x8;
    x7 = (x7 << 12) | (x7 >>> 20);
    x2 = (x2 + x7) | 0;
    x13 ^= x2;
    x13 = (x13 << 8) | (x13 >>> 24);
    x8 = (x8 + x13) | 0;
    x7 ^= x8;
    x7 = (x7 << 7) | (x7 >>> 25);

    x3 = (x3 + x4) | 0;
    x14 ^= x3;
    x14 = (x14 << 16) | (x14 >>> 16);
    x9 = (x9 + x14) | 0;
    x4 ^= x9;
    x4 = (x4 << 12) | (x4 >>> 20);
    x3 = (x3 + x4) | 0;
    x14 ^= x3;
    x14 = (x14 << 8) | (x14 >>> 24);
    x9 = (x9 + x14) | 0;
    x4 ^= x9;
    x4 = (x4 << 7) | (x4 >>> 25);
  }
  o[w] = x0 + j0;
  o[w + 1] = x1 + j1;
  o[w + 2] = x2 + j2;
  o[w + 3] = x3 + j3;
  o[w + 4] = x4 + j4;
  o[w + 5] = x5 + j5;
  o[w + 6] = x6 + j6;
  o[w + 7] = x7 + j7;
  o[w + 8] = x8 + j8;
  o[w + 9] = x9 + j9;
  o[w + 10] = x10 + j10;
  o[w + 11] = x11 + j11;
  o[w + 12] = x12 + j12;
  o[w + 13] = x13 + j13;
  o[w + 14] = x14 + j14;
  o[w + 15] = x15 + j15;
  state[12] = (state[12]! + 1) >>> 0;
}

function byteSwap32(w: number): number {
  return (
    (((w & 0xff) << 24) | ((w & 0xff00) << 8) | ((w >>> 8) & 0xff00) | ((w >>> 24) & 0xff)) >>> 0
  );
}

/**
 * `nblocks` successive chacha20_block() outputs into out[offset..), exactly as random.c's loops
 * produce them: x[12]++ per block and, when it wraps to 0, the callers' carry into x[13].
 * Aligned little-endian destinations are written as words in place; others go through a block.
 */
export function chachaBlocks(
  state: ChachaState,
  out: Uint8Array,
  offset: number,
  nblocks: number,
): void {
  if (nblocks <= 0) return;
  const start = out.byteOffset + offset;
  if (IS_LE && start % 4 === 0) {
    chachaBlocksWords(state, new Uint32Array(out.buffer, start, nblocks * 16), 0, nblocks);
    return;
  }
  for (let b = 0; b < nblocks; b++) {
    chacha20Block(state, out, offset + CHACHA_BLOCK_SIZE * b);
    if (state[12] === 0) state[13] = (state[13]! + 1) >>> 0;
  }
}

/**
 * chachaBlocks() into a word array the caller keeps (a Uint32Array view of its own bytes), for
 * hot loops that would otherwise create a view per call. Little-endian hosts only.
 */
export function chachaBlocksWords(
  state: ChachaState,
  out32: Uint32Array,
  wordOffset: number,
  nblocks: number,
): void {
  for (let b = 0; b < nblocks; b++) {
    blockWords(state, out32, wordOffset + 16 * b);
    if (state[12] === 0) state[13] = (state[13]! + 1) >>> 0;
  }
}

/** True when word views of byte buffers hold little-endian words (every mainstream Node host). */
export const HOST_IS_LE = IS_LE;
