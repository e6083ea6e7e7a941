import { _BLAKE2s, blake2s } from "@noble/hashes/blake2.js";
import { BLAKE2S_BLOCK_SIZE, BLAKE2S_HASH_SIZE } from "../kernel/constants.js";

/**
 * blake2s(key, in, out, outlen) of include/crypto/blake2s.h: keyed BLAKE2s with digest length
 * `outLen` (1..32). A shorter digest is a different hash (the length is in the parameter block),
 * not a prefix of the 32-byte one; extract_entropy's last chunk relies on exactly that.
 */
export function blake2sKeyed(key: Uint8Array, input: Uint8Array, outLen: number): Uint8Array {
  return blake2s(input, { key, dkLen: outLen });
}

/** Unkeyed BLAKE2s-256 (for tests and reference checks). */
export function blake2s256(input: Uint8Array): Uint8Array {
  return blake2s(input, { dkLen: BLAKE2S_HASH_SIZE });
}

/** The raw streaming state of a BLAKE2s-256 hash, enough to resume it bit for bit. */
export interface Blake2sRaw {
  /** h[0..7], little-endian words: 32 bytes. */
  h: Uint8Array;
  /** t: bytes absorbed so far, buffered ones included (noble's `length`). */
  t: number;
  /** The pending, not yet compressed, block (BLAKE2 keeps the last block for finalization). */
  buf: Uint8Array;
  /** Bytes used in `buf`, 0..64. */
  buflen: number;
}

/**
 * input_pool.hash (struct blake2s_state in drivers/char/random.c): a streaming BLAKE2s-256 that
 * can be exported and re-imported, so a snapshot carries the pool exactly. It extends
 * @noble/hashes' BLAKE2s class to reach the protected chaining value and buffer.
 */
export class PoolHash extends _BLAKE2s {
  /** blake2s_init_key(&input_pool.hash, BLAKE2S_HASH_SIZE, key, keylen); unkeyed when omitted. */
  static create(key?: Uint8Array): PoolHash {
    return key === undefined
      ? new PoolHash({ dkLen: BLAKE2S_HASH_SIZE })
      : new PoolHash({ dkLen: BLAKE2S_HASH_SIZE, key });
  }

  /** blake2s_final(): the 32-byte digest. The state is spent afterwards. */
  final(): Uint8Array {
    const out = new Uint8Array(BLAKE2S_HASH_SIZE);
    this.digestInto(out);
    this.destroy();
    return out;
  }

  exportRaw(): Blake2sRaw {
    const words = this.get();
    const h = new Uint8Array(32);
    const view = new DataView(h.buffer);
    for (let i = 0; i < 8; i++) view.setUint32(4 * i, words[i]! >>> 0, true);
    return { h, t: this.length, buf: this.buffer.slice(), buflen: this.pos };
  }

  static importRaw(raw: Blake2sRaw): PoolHash {
    const p = new PoolHash({ dkLen: BLAKE2S_HASH_SIZE });
    const view = new DataView(raw.h.buffer, raw.h.byteOffset, raw.h.byteLength);
    const w = (i: number): number => view.getUint32(4 * i, true);
    p.set(w(0), w(1), w(2), w(3), w(4), w(5), w(6), w(7));
    p.buffer.set(raw.buf.subarray(0, BLAKE2S_BLOCK_SIZE));
    p.length = raw.t;
    p.pos = raw.buflen;
    return p;
  }
}
