/** Little-endian helpers over Uint8Array (x86 and virtio are little-endian). */

const U64_MASK = (1n << 64n) - 1n;

export function readU16(b: Uint8Array, off: number): number {
  return b[off]! | (b[off + 1]! << 8);
}

export function readU32(b: Uint8Array, off: number): number {
  return (b[off]! | (b[off + 1]! << 8) | (b[off + 2]! << 16) | (b[off + 3]! << 24)) >>> 0;
}

export function readU64(b: Uint8Array, off: number): bigint {
  return BigInt(readU32(b, off)) | (BigInt(readU32(b, off + 4)) << 32n);
}

export function writeU16(b: Uint8Array, off: number, v: number): void {
  b[off] = v & 0xff;
  b[off + 1] = (v >>> 8) & 0xff;
}

export function writeU32(b: Uint8Array, off: number, v: number): void {
  b[off] = v & 0xff;
  b[off + 1] = (v >>> 8) & 0xff;
  b[off + 2] = (v >>> 16) & 0xff;
  b[off + 3] = (v >>> 24) & 0xff;
}

export function writeU64(b: Uint8Array, off: number, v: bigint): void {
  const x = v & U64_MASK;
  writeU32(b, off, Number(x & 0xffff_ffffn));
  writeU32(b, off + 4, Number(x >> 32n));
}

/** A u64 as 8 little-endian bytes (how a `unsigned long` sits in memory on x86-64). */
export function u64le(v: bigint): Uint8Array {
  const b = new Uint8Array(8);
  writeU64(b, 0, v);
  return b;
}

export function longsToBytes(longs: readonly bigint[]): Uint8Array {
  const out = new Uint8Array(longs.length * 8);
  for (let i = 0; i < longs.length; i++) writeU64(out, i * 8, longs[i]!);
  return out;
}

export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a[i]! ^ b[i]!;
  return diff === 0;
}

export function toHex(b: Uint8Array): string {
  let s = "";
  for (const x of b) s += x.toString(16).padStart(2, "0");
  return s;
}

export function isU64(v: bigint): boolean {
  return v >= 0n && v <= U64_MASK;
}

export const U64_MAX = U64_MASK;
