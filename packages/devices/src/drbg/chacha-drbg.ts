import { chacha20 } from "@noble/ciphers/chacha.js";
import { blake2s } from "@noble/hashes/blake2.js";
import { DeviceConfigError } from "../errors.js";

/** Anything a device backend can draw random bytes from. */
export interface ByteSource {
  generate(n: number): Uint8Array;
}

const KEY_LEN = 32;
const ZERO_NONCE = new Uint8Array(12);
const RESEED_LABEL = new TextEncoder().encode("vmrng chacha-drbg reseed");
const MIX_LABEL = new TextEncoder().encode("vmrng chacha-drbg mix");
/** Largest single request: noble's 32-bit block counter and a sane host allocation. */
const MAX_REQUEST = 1 << 24;

/**
 * The hypervisor's per-guest generator: a ChaCha20 key with fast key erasure, the construction
 * random.c uses for its own CRNG (crng_fast_key_erasure): each generate() runs the keystream
 * from the current key, the first 32 bytes replace the key, the rest is output. A captured
 * state therefore reveals nothing about bytes already handed out.
 *
 * reseed() folds fresh host bytes into the key (BLAKE2s keyed by the old key) and resets the
 * bytes-since-reseed counter; mix() folds untrusted input (a guest's wrmsr) the same way but
 * is not a reseed, so the counter keeps running.
 */
const FINGERPRINT_LABEL = new TextEncoder().encode("vmrng drbg fingerprint");

export class ChaChaDrbg implements ByteSource {
  private key: Uint8Array;
  private sinceReseed = 0;
  private reseeds = 0;
  private total = 0;

  constructor(seed: Uint8Array) {
    if (seed.length < KEY_LEN) {
      throw new DeviceConfigError(
        "SHORT_SEED",
        `ChaChaDrbg needs >= 32 seed bytes, got ${seed.length}`,
      );
    }
    this.key = seed.length === KEY_LEN ? seed.slice() : blake2s(seed, { dkLen: KEY_LEN });
  }

  generate(n: number): Uint8Array {
    if (!Number.isInteger(n) || n < 0 || n > MAX_REQUEST) {
      throw new DeviceConfigError("BAD_REQUEST", `cannot generate ${n} bytes`);
    }
    const stream = chacha20(this.key, ZERO_NONCE, new Uint8Array(KEY_LEN + n));
    this.key.fill(0);
    this.key = stream.slice(0, KEY_LEN);
    const out = stream.slice(KEY_LEN);
    stream.fill(0);
    this.sinceReseed += n;
    this.total += n;
    return out;
  }

  /** Fresh host entropy: new key = BLAKE2s_key=old(label || bytes). */
  reseed(fresh: Uint8Array): void {
    this.rekey(RESEED_LABEL, fresh);
    this.sinceReseed = 0;
    this.reseeds += 1;
  }

  /** Untrusted input (never reduces security: the old key stays in the derivation). */
  mix(input: Uint8Array): void {
    this.rekey(MIX_LABEL, input);
  }

  private rekey(label: Uint8Array, bytes: Uint8Array): void {
    const msg = new Uint8Array(label.length + bytes.length);
    msg.set(label);
    msg.set(bytes, label.length);
    const next = blake2s(msg, { key: this.key, dkLen: KEY_LEN });
    this.key.fill(0);
    this.key = next;
  }

  get bytesSinceReseed(): number {
    return this.sinceReseed;
  }

  /**
   * A 64-bit public fingerprint of the current key (BLAKE2s of a label and the key): changes
   * whenever the state does, reveals nothing about it. Lets a lab show that one guest's writes
   * never moved another guest's generator.
   */
  fingerprint(): string {
    const msg = new Uint8Array(FINGERPRINT_LABEL.length + KEY_LEN);
    msg.set(FINGERPRINT_LABEL);
    msg.set(this.key, FINGERPRINT_LABEL.length);
    const d = blake2s(msg, { dkLen: 8 });
    msg.fill(0);
    return Array.from(d, (b) => b.toString(16).padStart(2, "0")).join("");
  }

  get reseedCount(): number {
    return this.reseeds;
  }

  get bytesGenerated(): number {
    return this.total;
  }
}
