import { writeU64le } from "../bytes.js";
import { blake2sKeyed, PoolHash } from "../crypto/blake2s.js";
import type { ArchSource } from "./arch-source.js";
import { BLAKE2S_HASH_SIZE } from "./constants.js";

/**
 * input_pool of drivers/char/random.c: a BLAKE2s hash that absorbs everything mixed in, plus
 * init_bits, the credited entropy (saturating at POOL_BITS; it is what entropy_avail shows).
 */
export class InputPool {
  constructor(
    public hash: PoolHash = PoolHash.create(),
    public initBits = 0,
  ) {}

  /** _mix_pool_bytes() / mix_pool_bytes(): blake2s_update(&input_pool.hash, buf, len). */
  mix(buf: Uint8Array): void {
    if (buf.length > 0) this.hash.update(buf);
  }

  /**
   * extract_entropy(buf, len): an HKDF-like expansion of the pool.
   *   block = { unsigned long rdseed[4]; size_t counter; }   (40 bytes, little-endian)
   *   rdseed[] filled by RDSEED longs, else RDRAND longs, else random_get_entropy(), per slot
   *   seed      = blake2s_final(&input_pool.hash)
   *   next_key  = blake2s(key = seed, block with counter = 0)   -> pool re-keyed with next_key
   *   output[i] = blake2s(key = seed, block with counter = ++i, outlen = min(len, 32))
   */
  extract(len: number, arch: ArchSource): Uint8Array {
    const block = new Uint8Array(40);
    for (let i = 0; i < 4; ) {
      let longs = arch.seedLongs(4 - i);
      if (longs.length === 0) longs = arch.longs(4 - i);
      if (longs.length > 0) {
        for (const v of longs) writeU64le(block, 8 * i++, v);
        continue;
      }
      writeU64le(block, 8 * i++, arch.entropy());
    }

    const seed = this.hash.final();
    writeU64le(block, 32, 0n);
    const nextKey = blake2sKeyed(seed, block, BLAKE2S_HASH_SIZE);
    this.hash = PoolHash.create(nextKey);
    nextKey.fill(0);

    const out = new Uint8Array(len);
    let counter = 0n;
    for (let off = 0; off < len; off += BLAKE2S_HASH_SIZE) {
      const n = Math.min(len - off, BLAKE2S_HASH_SIZE);
      writeU64le(block, 32, ++counter);
      out.set(blake2sKeyed(seed, block, n), off);
    }
    seed.fill(0);
    block.fill(0);
    return out;
  }
}
