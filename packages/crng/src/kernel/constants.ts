/**
 * Constants of drivers/char/random.c and its uapi, as in Linux v6.12. Each one names the kernel
 * symbol it stands for, so a reader can grep the source for it.
 */

/** enum { POOL_BITS = BLAKE2S_HASH_SIZE * 8, ... } (drivers/char/random.c). */
export const POOL_BITS = 256;
/** POOL_READY_BITS = POOL_BITS: crng_init -> CRNG_READY. */
export const POOL_READY_BITS = POOL_BITS;
/** POOL_EARLY_BITS = POOL_READY_BITS / 2: crng_init -> CRNG_EARLY. */
export const POOL_EARLY_BITS = POOL_READY_BITS / 2;

/** static enum { CRNG_EMPTY = 0, CRNG_EARLY = 1, CRNG_READY = 2 } crng_init. */
export const CRNG_EMPTY = 0;
export const CRNG_EARLY = 1;
export const CRNG_READY = 2;
export type CrngInitValue = typeof CRNG_EMPTY | typeof CRNG_EARLY | typeof CRNG_READY;

/** include/uapi/linux/random.h */
export const GRND_NONBLOCK = 0x0001;
export const GRND_RANDOM = 0x0002;
export const GRND_INSECURE = 0x0004;
export const GRND_ALL = GRND_NONBLOCK | GRND_RANDOM | GRND_INSECURE;

/** include/uapi/asm-generic/errno-base.h / errno.h */
export const EAGAIN = 11;
export const EINVAL = 22;
export const ENODATA = 61;

/** enum { CRNG_RESEED_START_INTERVAL = HZ, CRNG_RESEED_INTERVAL = 60 * HZ }, in seconds. */
export const CRNG_RESEED_START_INTERVAL_S = 1;
export const CRNG_RESEED_INTERVAL_S = 60;

/** try_to_generate_entropy(): enum { NUM_TRIAL_SAMPLES = 8192, MAX_SAMPLES_PER_BIT = HZ / 15 }. */
export const NUM_TRIAL_SAMPLES = 8192;
export const maxSamplesPerBit = (hz: number): number => Math.floor(hz / 15);

/** urandom_warning = RATELIMIT_STATE_INIT_FLAGS("urandom_warning", HZ, 3, RATELIMIT_MSG_ON_RELEASE). */
export const URANDOM_WARNING_BURST = 3;
/** urandom_read_iter(): static int maxwarn = 10. */
export const URANDOM_MAXWARN = 10;

/** add_interrupt_randomness(): MIX_INFLIGHT = 1U << 31, and the 1024-interrupt threshold. */
export const MIX_INFLIGHT = 0x8000_0000;
export const FAST_POOL_MIX_COUNT = 1024;

/** MAX_RW_COUNT = INT_MAX & PAGE_MASK (include/linux/fs.h), with 4 KiB pages. */
export const MAX_RW_COUNT = 0x7fff_f000;

/** TASK_COMM_LEN (include/linux/sched.h): comm is at most 15 characters plus NUL. */
export const TASK_COMM_LEN = 16;

/** ULONG_MAX with unsigned long = 64 bits (x86_64): the per-CPU crng's "never seeded" generation. */
export const ULONG_MAX = (1n << 64n) - 1n;

/** CHACHA_KEY_SIZE / CHACHA_BLOCK_SIZE (include/crypto/chacha.h). */
export const CHACHA_KEY_SIZE = 32;
export const CHACHA_BLOCK_SIZE = 64;
/** BLAKE2S_HASH_SIZE / BLAKE2S_BLOCK_SIZE (include/crypto/blake2s.h). */
export const BLAKE2S_HASH_SIZE = 32;
export const BLAKE2S_BLOCK_SIZE = 64;

/** CONFIG_HZ values a kernel can be built with (kernel/Kconfig.hz). */
export const ALLOWED_HZ = [100, 250, 300, 1000] as const;
