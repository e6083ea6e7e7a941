/**
 * The architecture random sources random.c asks for (include/linux/random.h, and on x86
 * arch/x86/include/asm/archrandom.h). A "long" is an unsigned 64-bit value.
 *
 * x86 returns at most ONE long per call (`return max_longs && rdrand_long(v) ? 1 : 0;`), and
 * rdrand_long itself retries RDRAND_RETRY_LOOPS (10) times before giving up; callers loop.
 */
export interface ArchRandom {
  /** arch_get_random_seed_longs(): RDSEED. Returns the longs obtained, possibly none. */
  getRandomSeedLongs(max: number): bigint[];
  /** arch_get_random_longs(): RDRAND. Returns the longs obtained, possibly none. */
  getRandomLongs(max: number): bigint[];
  /** random_get_entropy(): the cycle counter (RDTSC on x86). Never fails. */
  getEntropy(): bigint;
}

/** A CPU with no RDRAND/RDSEED and a counter that advances by a fixed step: deterministic. */
export class NoArchRandom implements ArchRandom {
  private tsc: bigint;
  /** `start` is the counter value before the first read (so a copy can resume where one was). */
  constructor(
    private readonly step = 1_000n,
    start = 0n,
  ) {
    this.tsc = start;
  }
  /** The last value getEntropy() returned (or `start`). */
  get counter(): bigint {
    return this.tsc;
  }
  getRandomSeedLongs(): bigint[] {
    return [];
  }
  getRandomLongs(): bigint[] {
    return [];
  }
  getEntropy(): bigint {
    this.tsc += this.step;
    return this.tsc;
  }
}
