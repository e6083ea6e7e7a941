import { ChaChaDrbg } from "@vmrng/devices";
import type { EgdEntropyPool } from "./pool.js";
import { EGD_MAX_COUNT } from "./protocol.js";

/**
 * Keystream generated per DRBG call. ChaCha20 in JS costs ~4 µs per call whatever its size up
 * to a few blocks (setup and key erasure dominate), and ~0.35 µs per 64 bytes in bulk: one
 * call per 4 KiB instead of one per request takes it off the per-request path. It also bounds
 * what a compromise of the host process reveals: at most this much not-yet-served output, as
 * random.c's batched entropy does with its per-CPU batches.
 */
export const EGD_KEYSTREAM_BLOCK = 4096;

const EMPTY = new Uint8Array(0);

/**
 * One client's own ChaCha20 DRBG, keyed from the host pool. Like a per-CPU crng in random.c
 * (crng_make_state), it re-keys from the pool when the pool's generation has moved, so a
 * reseed reaches every client at its next request, while another client's 0x03 input (which
 * does not bump the generation) never changes this client's key.
 *
 * Output comes from a buffer of keystream blocks (fast key erasure once per block): the
 * stream a client sees is exactly block 1, block 2, … in order, whatever sizes it asks for and
 * whenever `prefill()` runs, so no byte is handed out twice. A reseed discards (zeroes) what
 * the buffer still held; bytes already handed out are never touched again, since a pending
 * socket write may still read them.
 */
export class EgdClientGenerator {
  private drbg: ChaChaDrbg;
  private generation: number;
  private buf: Uint8Array = EMPTY;
  private pos = 0;
  private blocks = 0;

  constructor(private readonly pool: EgdEntropyPool) {
    this.drbg = new ChaChaDrbg(pool.deriveKey());
    this.generation = pool.generation;
  }

  /** The next `n` bytes of this client's stream (a view: the caller must not write to it). */
  generate(n: number): Uint8Array {
    this.pool.reseedIfDue();
    if (this.generation !== this.pool.generation) this.rekey();
    if (this.buf.length - this.pos < n) this.refill(n);
    const out = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    this.pool.noteServed(n);
    return out;
  }

  /**
   * Tops the buffer up when less than one largest request (255 bytes) is left, so the next
   * request is a copy-free slice. The connection calls it after its replies are written, while
   * the client is busy with them.
   */
  prefill(): void {
    if (this.generation !== this.pool.generation) return; // the next generate() re-keys first
    if (this.buf.length - this.pos < EGD_MAX_COUNT) this.refill(EGD_MAX_COUNT);
  }

  /** Keystream blocks generated so far (tests and status). */
  get blockCount(): number {
    return this.blocks;
  }

  /** Bytes generated and not handed out yet. */
  get buffered(): number {
    return this.buf.length - this.pos;
  }

  /** Public fingerprint of this client's key (isolation checks in tests). */
  fingerprint(): string {
    return this.drbg.fingerprint();
  }

  /** Appends whole blocks until `need` bytes are buffered; the unserved rest moves along. */
  private refill(need: number): void {
    const rest = this.buf.length - this.pos;
    const add = Math.ceil((need - rest) / EGD_KEYSTREAM_BLOCK) * EGD_KEYSTREAM_BLOCK;
    const next = new Uint8Array(rest + add);
    next.set(this.buf.subarray(this.pos));
    this.buf.fill(0, this.pos);
    for (let at = rest; at < next.length; at += EGD_KEYSTREAM_BLOCK) {
      const block = this.drbg.generate(EGD_KEYSTREAM_BLOCK);
      next.set(block, at);
      block.fill(0);
      this.blocks += 1;
    }
    this.buf = next;
    this.pos = 0;
  }

  /** The pool reseeded: forget the buffered keystream and take a key of the new generation. */
  private rekey(): void {
    this.buf.fill(0, this.pos);
    this.buf = EMPTY;
    this.pos = 0;
    this.drbg = new ChaChaDrbg(this.pool.deriveKey());
    this.generation = this.pool.generation;
  }
}
