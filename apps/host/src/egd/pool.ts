import type { Clock } from "@vmrng/crng";
import { ChaChaDrbg } from "@vmrng/devices";

/**
 * random.c's CRNG_RESEED_INTERVAL (60 s): the host pool takes fresh OS entropy at least this
 * often, like the kernel's base_crng once it is past early boot.
 */
export const EGD_RESEED_INTERVAL_MS = 60_000;
/** …and after this many bytes served, so a fast client bounds what one key ever produced. */
export const EGD_RESEED_BYTES = 16 << 20;
const KEY_BYTES = 32;

export interface EgdPoolOptions {
  /** Strong entropy: the OS CSPRNG in the host, a fixed stream in tests. */
  seedSource: (n: number) => Uint8Array;
  clock: Clock;
  reseedIntervalMs?: number;
  reseedBytes?: number;
}

/**
 * The host side of the EGD server, shaped like random.c's base_crng: one ChaCha20 DRBG (fast
 * key erasure) keyed from the OS CSPRNG, reseeded on a schedule, bumping `generation` each
 * time. Every client generator keys itself from it and re-keys when the generation moves,
 * as the kernel's per-CPU crngs do.
 *
 * Bytes a client offers (EGD 0x03) go through `mix()`: the new key is BLAKE2s keyed by the old
 * key over the input, so the result is unpredictable to whoever chose the input. It is never
 * credited and does not bump the generation: keys already handed to clients, and so bytes
 * already promised, do not change; only keys derived later see it.
 */
export class EgdEntropyPool {
  private readonly drbg: ChaChaDrbg;
  private readonly clock: Clock;
  private readonly seedSource: (n: number) => Uint8Array;
  private readonly intervalMs: number;
  private readonly maxBytes: number;
  private gen = 1;
  private lastReseed: number;
  private servedSinceReseed = 0;
  private mixes = 0;

  constructor(opts: EgdPoolOptions) {
    this.clock = opts.clock;
    this.seedSource = opts.seedSource;
    this.intervalMs = opts.reseedIntervalMs ?? EGD_RESEED_INTERVAL_MS;
    this.maxBytes = opts.reseedBytes ?? EGD_RESEED_BYTES;
    this.drbg = new ChaChaDrbg(this.seedSource(KEY_BYTES));
    this.lastReseed = this.clock.now();
  }

  /** Bumped by every reseed; a client generator with an older one re-keys. */
  get generation(): number {
    return this.gen;
  }

  /** Reseeds from the seed source when the interval passed or the byte budget is spent. */
  reseedIfDue(): boolean {
    const due =
      this.clock.now() - this.lastReseed >= this.intervalMs ||
      this.servedSinceReseed >= this.maxBytes;
    if (!due) return false;
    this.reseed();
    return true;
  }

  reseed(): void {
    this.drbg.reseed(this.seedSource(KEY_BYTES));
    this.gen += 1;
    this.lastReseed = this.clock.now();
    this.servedSinceReseed = 0;
  }

  /** A fresh 32-byte key for a client generator. */
  deriveKey(): Uint8Array {
    return this.drbg.generate(KEY_BYTES);
  }

  /** Counts bytes clients produced from keys of this generation. */
  noteServed(n: number): void {
    this.servedSinceReseed += n;
  }

  /** Untrusted input (EGD 0x03): keyed one-way mix, no credit, no generation bump. */
  mix(input: Uint8Array): void {
    this.drbg.mix(input);
    this.mixes += 1;
  }

  get reseedCount(): number {
    return this.drbg.reseedCount;
  }

  get mixCount(): number {
    return this.mixes;
  }

  /** A public 64-bit fingerprint of the pool key: moves with every reseed and mix. */
  fingerprint(): string {
    return this.drbg.fingerprint();
  }
}
