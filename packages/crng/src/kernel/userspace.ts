import { CrngError } from "../errors.js";
import {
  GRND_ALL,
  GRND_INSECURE,
  GRND_NONBLOCK,
  GRND_RANDOM,
  MAX_RW_COUNT,
  TASK_COMM_LEN,
} from "./constants.js";
import { creditInitBits } from "./credit.js";
import { crngReady, crngReseed, getRandomBytesUser } from "./crng-core.js";
import { urandomTryToGenerateEntropy, waitForRandomBytes } from "./jitter.js";
import type { Kernel } from "./state.js";

/** Section "Userspace reader/writer interfaces" of drivers/char/random.c (v6.12). */

function wouldBlock(k: Kernel, what: string): CrngError {
  waitForRandomBytes(k);
  return new CrngError(
    "WOULD_BLOCK",
    `${what}: the CRNG is not ready and this call would block in wait_for_random_bytes(); use the async form`,
  );
}

/**
 * SYSCALL_DEFINE3(getrandom): unknown flags -> EINVAL; GRND_INSECURE|GRND_RANDOM -> EINVAL;
 * not ready and not GRND_INSECURE -> EAGAIN with GRND_NONBLOCK, else it would block;
 * then get_random_bytes_user() of min(len, MAX_RW_COUNT) bytes.
 */
export function sysGetrandom(k: Kernel, len: number, flags: number, cpu: number): Uint8Array {
  if (flags & ~GRND_ALL) {
    throw new CrngError("EINVAL", `getrandom: unknown flags 0x${flags.toString(16)}`);
  }
  if ((flags & (GRND_INSECURE | GRND_RANDOM)) === (GRND_INSECURE | GRND_RANDOM)) {
    throw new CrngError("EINVAL", "getrandom: GRND_INSECURE and GRND_RANDOM together");
  }
  if (!crngReady(k) && !(flags & GRND_INSECURE)) {
    if (flags & GRND_NONBLOCK) {
      throw new CrngError("EAGAIN", "getrandom: CRNG not ready and GRND_NONBLOCK set");
    }
    throw wouldBlock(k, "getrandom");
  }
  return getRandomBytesUser(k, cpu, Math.min(len, MAX_RW_COUNT));
}

/** The text current->comm holds: at most TASK_COMM_LEN - 1 characters. */
export function taskComm(comm: string): string {
  return comm.slice(0, TASK_COMM_LEN - 1);
}

/**
 * urandom_read_iter(): before ready, try_to_generate_entropy() first (which, with a usable cycle
 * counter, keeps the reader until ready: here WOULD_BLOCK). Still not ready: after 10 printed
 * warnings every read only counts as missed; otherwise __ratelimit(HZ, burst 3) decides whether
 * "<comm>: uninitialized urandom read (<n> bytes read)" is printed. Then get_random_bytes_user().
 */
export function urandomRead(k: Kernel, len: number, comm: string, cpu: number): Uint8Array {
  const n = Math.min(len, MAX_RW_COUNT);
  if (!crngReady(k) && urandomTryToGenerateEntropy(k)) {
    throw new CrngError(
      "WOULD_BLOCK",
      "/dev/urandom: the reader would spin in try_to_generate_entropy() until ready; use the async form",
    );
  }
  if (!crngReady(k)) {
    const s = k.s;
    if (!s.config.ratelimitDisable && s.maxwarn <= 0) {
      s.urandomWarning.incMiss();
    } else if (s.config.ratelimitDisable || s.urandomWarning.check(k.jiffies.at(k.now()))) {
      s.maxwarn--;
      const c = taskComm(comm);
      k.emit({
        kind: "urandom-warning",
        printk: true,
        comm: c,
        bytes: n,
        message: `random: ${c}: uninitialized urandom read (${n} bytes read)`,
      });
    }
  }
  return getRandomBytesUser(k, cpu, n);
}

/** random_read_iter(): /dev/random, i.e. getrandom(flags = 0) with O_NONBLOCK as GRND_NONBLOCK. */
export function randomRead(k: Kernel, len: number, nonblock: boolean, cpu: number): Uint8Array {
  if (!crngReady(k)) {
    if (nonblock) throw new CrngError("EAGAIN", "/dev/random: CRNG not ready and O_NONBLOCK set");
    throw wouldBlock(k, "/dev/random");
  }
  return getRandomBytesUser(k, cpu, Math.min(len, MAX_RW_COUNT));
}

/** random_write_iter() / write_pool_user(): mixed, never credited. */
export function writePool(k: Kernel, buf: Uint8Array): number {
  k.s.pool.mix(buf);
  return buf.length;
}

/** ioctl(RNDADDENTROPY): write_pool_user() then credit_init_bits(ent_count). */
export function ioctlAddEntropy(k: Kernel, buf: Uint8Array, entCount: number): void {
  if (!(entCount >= 0)) throw new CrngError("EINVAL", "RNDADDENTROPY: negative entropy count");
  writePool(k, buf);
  creditInitBits(k, entCount);
}

/** ioctl(RNDADDTOENTCNT): credit_init_bits(ent_count). */
export function ioctlAddToEntCnt(k: Kernel, entCount: number): void {
  if (!(entCount >= 0)) throw new CrngError("EINVAL", "RNDADDTOENTCNT: negative entropy count");
  creditInitBits(k, entCount);
}

/** ioctl(RNDRESEEDCRNG): -ENODATA before ready, else crng_reseed(). */
export function ioctlReseedCrng(k: Kernel): void {
  if (!crngReady(k)) throw new CrngError("ENODATA", "RNDRESEEDCRNG: CRNG not ready");
  crngReseed(k, "ioctl");
}
