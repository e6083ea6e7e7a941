import { ChaChaDrbg } from "@vmrng/devices";
import type { EgdEntropyPool } from "./pool.js";

/**
 * One client's own ChaCha20 DRBG, keyed from the host pool. Like a per-CPU crng in random.c
 * (crng_make_state), it re-keys from the pool when the pool's generation has moved, so a
 * reseed reaches every client at its next request, while another client's 0x03 input (which
 * does not bump the generation) never changes this client's key.
 */
export class EgdClientGenerator {
  private drbg: ChaChaDrbg;
  private generation: number;

  constructor(private readonly pool: EgdEntropyPool) {
    this.drbg = new ChaChaDrbg(pool.deriveKey());
    this.generation = pool.generation;
  }

  generate(n: number): Uint8Array {
    this.pool.reseedIfDue();
    if (this.generation !== this.pool.generation) {
      this.drbg = new ChaChaDrbg(this.pool.deriveKey());
      this.generation = this.pool.generation;
    }
    this.pool.noteServed(n);
    return this.drbg.generate(n);
  }

  /** Public fingerprint of this client's key (isolation checks in tests). */
  fingerprint(): string {
    return this.drbg.fingerprint();
  }
}
