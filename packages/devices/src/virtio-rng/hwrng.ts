/**
 * hw_random core arithmetic (drivers/char/hw_random/core.c, 6.x).
 */

/** SMP_CACHE_BYTES on x86-64 (L1_CACHE_BYTES = 64). */
export const SMP_CACHE_BYTES = 64;

/** rng_buffer_size(): RNG_BUFFER_SIZE = max(32, SMP_CACHE_BYTES). Also virtio-rng's data[]. */
export function rngBufferSize(): number {
  return Math.max(SMP_CACHE_BYTES, 32);
}

/** add_early_randomness() reads this many bytes, without waiting. */
export const EARLY_READ_BYTES = 32;

/** hwrng_fillfn() sleeps this long (hwrng_msleep) after a read that returned <= 0 bytes. */
export const HWRNG_EMPTY_READ_SLEEP_MS = 10_000;

/** hw_random.default_quality: 1024 ("default to maximum") since 5.19/6.x. */
export const DEFAULT_QUALITY = 1024;

/**
 * hwrng_init(): rng->quality = min(min(default_quality, 1024), rng->quality ?: 1024).
 * virtio-rng.c sets no .quality, so in 6.x it gets 1024: full credit.
 */
export function effectiveQuality(driverQuality = 0, defaultQuality = DEFAULT_QUALITY): number {
  const cap = Math.min(defaultQuality, 1024);
  return Math.min(cap, driverQuality === 0 ? 1024 : driverQuality);
}

/** add_early_randomness(): entropy = bytes_read * 8 * rng->quality / 1024 (integer). */
export function earlyCreditBits(bytesRead: number, quality: number): number {
  return Math.floor((bytesRead * 8 * quality) / 1024);
}

/**
 * hwrng_fillfn() credit, in 1/1024 bit units with the carried remainder:
 *   entropy = rc * quality * 8 + entropy_credit;
 *   if ((entropy >> 10) == 0) entropy_credit = entropy;
 *   add_hwgenerator_randomness(buf, rc, entropy >> 10, true);
 * Note the kernel never clears entropy_credit after a successful credit; this keeps that.
 */
export function fillCredit(
  rc: number,
  quality: number,
  carried: number,
): { bits: number; carried: number } {
  const entropy = rc * quality * 8 + carried;
  const bits = Math.floor(entropy / 1024);
  return { bits, carried: bits === 0 ? entropy : carried };
}
