import { type Static, Type } from "@sinclair/typebox";
import { Bytes, Enum, NodeId, Obj, ReqId, Tag, U32 } from "./common.js";

/** Largest single read carried on the wire; callers loop for more, as userspace would. */
export const RNG_MAX_READ = 1 << 20;

/*
 * "Userspace" reads inside a guest, issued from outside: client → host → hypervisor → guest, and
 * the result travels back. The guest runs them through its emulated kernel API, so the answer is
 * exactly what a process in the VM would get (including EAGAIN before crng init and EINVAL for
 * bad flags).
 */

/**
 * getrandom(2) in guest `vm`. `flags` is the raw u32 the caller passes, unknown bits included, so
 * the guest can answer EINVAL the way the kernel does (GRND_NONBLOCK=1, GRND_RANDOM=2,
 * GRND_INSECURE=4 per include/uapi/linux/random.h). Reply: `rng.data` or `rng.errno`.
 */
export const RngGetrandom = Obj({
  t: Tag("rng.getrandom"),
  id: ReqId,
  vm: NodeId,
  len: Type.Integer({ minimum: 0, maximum: RNG_MAX_READ }),
  flags: U32,
});
export type RngGetrandom = Static<typeof RngGetrandom>;

/**
 * read(2) of a character device in guest `vm`: /dev/random, /dev/urandom or /dev/hwrng
 * (`nonblock` = opened with O_NONBLOCK). Reply: `rng.data` or `rng.errno`.
 */
export const RngRead = Obj({
  t: Tag("rng.read"),
  id: ReqId,
  vm: NodeId,
  source: Enum(["random", "urandom", "hwrng"]),
  len: Type.Integer({ minimum: 0, maximum: RNG_MAX_READ }),
  nonblock: Type.Optional(Type.Boolean()),
});
export type RngRead = Static<typeof RngRead>;

/** guest → hypervisor → host → client: the bytes a successful read returned (may be short). */
export const RngData = Obj({
  t: Tag("rng.data"),
  re: ReqId,
  vm: NodeId,
  data: Bytes(RNG_MAX_READ),
});
export type RngData = Static<typeof RngData>;

/**
 * Errno names a guest read can fail with, and their Linux numbers
 * (include/uapi/asm-generic/errno-base.h; ENOSYS from include/uapi/asm-generic/errno.h).
 */
export const ERRNO = {
  EINTR: 4,
  EIO: 5,
  EAGAIN: 11,
  EFAULT: 14,
  EBUSY: 16,
  ENODEV: 19,
  EINVAL: 22,
  ENOSYS: 38,
} as const;
export type ErrnoName = keyof typeof ERRNO;
export const Errno = Enum(Object.keys(ERRNO) as (keyof typeof ERRNO)[]);

/** guest → hypervisor → host → client: the read failed with this errno. */
export const RngErrno = Obj({
  t: Tag("rng.errno"),
  re: ReqId,
  vm: NodeId,
  errno: Errno,
});
export type RngErrno = Static<typeof RngErrno>;
