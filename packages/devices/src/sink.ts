/**
 * The only way a driver side talks to the guest CRNG (drivers/char/random.c entry points).
 * `@vmrng/crng`'s Crng satisfies it structurally; unit tests use a recording fake.
 */
export interface EntropySink {
  /** add_bootloader_randomness(): credits len*8 bits when random.trust_bootloader is on. */
  addBootloaderRandomness(buf: Uint8Array): void;
  /** add_device_randomness(): mixes, never credits. */
  addDeviceRandomness(buf: Uint8Array): void;
  /**
   * add_hwgenerator_randomness(): mixes, credits `entropyBits`, and returns how many ms the
   * calling kthread must sleep (a reseed interval once READY and `sleepAfter`, else 0).
   */
  addHwgeneratorRandomness(buf: Uint8Array, entropyBits: number, sleepAfter: boolean): number;
  /** add_vmfork_randomness(): mixes the id, reseeds if READY, runs the vmfork notifiers. */
  addVmforkRandomness(id: Uint8Array): void;
}
