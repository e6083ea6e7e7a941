import { blake2sKeyed, chacha20Block, chachaInit, newChachaState } from "@vmrng/crng";
import { FaultError } from "./errors.js";

const encoder = new TextEncoder();
/** BLAKE2s key separating SeededRandom keys from every other use of the hash in vmrng. */
const SEED_DOMAIN = encoder.encode("vmrng.faults.SeededRandom.v1");
const FORK_DOMAIN = encoder.encode("vmrng.faults.SeededRandom.fork");

/** Integers (number or bigint) and strings map to distinct, canonical byte strings. */
function seedBytes(seed: number | bigint | string): Uint8Array {
  if (typeof seed === "string") return encoder.encode(`s:${seed}`);
  if (typeof seed === "bigint") return encoder.encode(`i:${seed.toString(10)}`);
  if (typeof seed === "number" && Number.isSafeInteger(seed)) {
    return encoder.encode(`i:${seed.toString(10)}`);
  }
  throw new FaultError(
    "E_FAULT_SEED",
    `seed must be a safe integer, a bigint or a string, got ${String(seed)}`,
  );
}

/**
 * A deterministic random source for fault targets and schedules: the ChaCha20 keystream
 * (@vmrng/crng's chacha20Block, RFC 8439 block function, nonce words 0) under
 * key = BLAKE2s(seed). Pure arithmetic on bytes, so a seed gives the same draws on every
 * machine and Node version. Not for secrets: the seed is usually printed in the run summary.
 */
export class SeededRandom {
  private key: Uint8Array;
  private readonly state = newChachaState();
  private readonly block = new Uint8Array(64);
  private pos = 64;

  constructor(seed: number | bigint | string) {
    this.key = blake2sKeyed(SEED_DOMAIN, seedBytes(seed), 32);
    chachaInit(this.state, this.key);
  }

  /** Restarts this stream under `key` (fork() builds its child this way). */
  private rekey(key: Uint8Array): this {
    this.key = key;
    chachaInit(this.state, key);
    this.pos = 64;
    return this;
  }

  /** `n` keystream bytes. */
  bytes(n: number): Uint8Array {
    if (!Number.isSafeInteger(n) || n < 0) throw new RangeError(`bytes(${n}): need an integer ≥ 0`);
    const out = new Uint8Array(n);
    let o = 0;
    while (o < n) {
      if (this.pos === 64) {
        chacha20Block(this.state, this.block, 0);
        // chacha20_block increments x[12] only; carry into x[13] so the stream never repeats.
        if (this.state[12] === 0) this.state[13] = (this.state[13]! + 1) >>> 0;
        this.pos = 0;
      }
      const take = Math.min(64 - this.pos, n - o);
      out.set(this.block.subarray(this.pos, this.pos + take), o);
      this.pos += take;
      o += take;
    }
    return out;
  }

  private u32(): number {
    const b = this.bytes(4);
    return (b[0]! | (b[1]! << 8) | (b[2]! << 16) | (b[3]! << 24)) >>> 0;
  }

  /** A float in [0, 1) with 53 random bits. */
  float(): number {
    const hi = this.u32() >>> 5; // 27 bits
    const lo = this.u32() >>> 6; // 26 bits
    return (hi * 67108864 + lo) / 9007199254740992;
  }

  /** An integer in [0, maxExclusive), unbiased (rejection sampling). maxExclusive ≤ 2^32. */
  int(maxExclusive: number): number {
    if (!Number.isSafeInteger(maxExclusive) || maxExclusive < 1 || maxExclusive > 2 ** 32) {
      throw new RangeError(`int(${maxExclusive}): need an integer in [1, 2^32]`);
    }
    const limit = 2 ** 32 - (2 ** 32 % maxExclusive);
    for (;;) {
      const v = this.u32();
      if (v < limit) return v % maxExclusive;
    }
  }

  /** One element of a non-empty array, uniformly. */
  pick<T>(xs: readonly T[]): T {
    if (xs.length === 0) throw new RangeError("pick() from an empty array");
    return xs[this.int(xs.length)]!;
  }

  /** True with probability p. */
  chance(p: number): boolean {
    return this.float() < p;
  }

  /**
   * An independent stream named `label`, derived from this stream's key only (not its position):
   * draws made here before or after do not change it, and the same label gives the same stream.
   */
  fork(label: string): SeededRandom {
    const input = new Uint8Array(this.key.length + label.length * 3);
    input.set(this.key, 0);
    const enc = encoder.encodeInto(label, input.subarray(this.key.length));
    const key = blake2sKeyed(FORK_DOMAIN, input.subarray(0, this.key.length + enc.written), 32);
    return new SeededRandom(0).rekey(key);
  }

  /** A `() => number` in [0, 1), the shape Link.addToxic takes. */
  asFunction(): () => number {
    return () => this.float();
  }
}
