import { BootImageError } from "../errors.js";
import { RNG_SEED_LENGTH } from "./bootparam.js";
import { type BootImage, type BootImageOptions, buildBootImage } from "./loader.js";

export interface KexecImageOptions extends Omit<BootImageOptions, "seed"> {
  /** 32 bytes from the running kernel's get_random_bytes(). */
  seed: Uint8Array;
  /** rng_is_initialized() in the running kernel. */
  rngIsInitialized: boolean;
}

/**
 * kexec_file_load() of a bzImage: setup_rng_seed() (arch/x86/kernel/kexec-bzimage64.c)
 * passes the next kernel RNG_SEED_LENGTH (32) fresh bytes as SETUP_RNG_SEED, but only
 * `if (rng_is_initialized())`: an uninitialised CRNG has nothing worth handing on.
 */
export function buildKexecImage(opts: KexecImageOptions): BootImage {
  if (opts.seed.length !== RNG_SEED_LENGTH) {
    throw new BootImageError(
      "BAD_SEED_LENGTH",
      `kexec passes exactly ${RNG_SEED_LENGTH} bytes, got ${opts.seed.length}`,
    );
  }
  const { seed, rngIsInitialized, ...rest } = opts;
  if (rngIsInitialized) return buildBootImage({ ...rest, seed });
  const img = buildBootImage(rest);
  img.seedSkipped = "running kernel's RNG is not initialized (rng_is_initialized() == false)";
  return img;
}
