/**
 * SIPHASH_PERMUTATION and SIPHASH_CONST_0..3 (include/linux/siphash.h), and fast_mix() of
 * drivers/char/random.c: on 64-bit kernels the per-CPU interrupt pool is SipHash-1-x with a fixed
 * (empty) key, absorbing two longs per interrupt.
 */
const M = (1n << 64n) - 1n;

export const SIPHASH_CONST_0 = 0x736f6d6570736575n;
export const SIPHASH_CONST_1 = 0x646f72616e646f6dn;
export const SIPHASH_CONST_2 = 0x6c7967656e657261n;
export const SIPHASH_CONST_3 = 0x7465646279746573n;

const rol64 = (w: bigint, s: bigint): bigint => ((w << s) | (w >> (64n - s))) & M;

/** One SIPHASH_PERMUTATION round over s[0..3], in place. */
export function sipPermute(s: bigint[]): void {
  let a = s[0]!;
  let b = s[1]!;
  let c = s[2]!;
  let d = s[3]!;
  a = (a + b) & M;
  b = rol64(b, 13n);
  b ^= a;
  a = rol64(a, 32n);
  c = (c + d) & M;
  d = rol64(d, 16n);
  d ^= c;
  a = (a + d) & M;
  d = rol64(d, 21n);
  d ^= a;
  c = (c + b) & M;
  b = rol64(b, 17n);
  b ^= c;
  c = rol64(c, 32n);
  s[0] = a;
  s[1] = b;
  s[2] = c;
  s[3] = d;
}

/** fast_mix(s, v1, v2). */
export function fastMix(s: bigint[], v1: bigint, v2: bigint): void {
  s[3] = s[3]! ^ (v1 & M);
  sipPermute(s);
  s[0] = s[0]! ^ (v1 & M);
  s[3] = s[3]! ^ (v2 & M);
  sipPermute(s);
  s[0] = s[0]! ^ (v2 & M);
}

/** swab() on an unsigned long (include/linux/swab.h __swab -> __swab64 on 64-bit). */
export function swab64(x: bigint): bigint {
  let v = x & M;
  let out = 0n;
  for (let i = 0; i < 8; i++) {
    out = (out << 8n) | (v & 0xffn);
    v >>= 8n;
  }
  return out;
}
