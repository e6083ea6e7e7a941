/** Errno names a guest "syscall" can fail with, and their Linux numbers (errno-base.h). */
export const GUEST_ERRNO = {
  EINTR: 4,
  EIO: 5,
  EAGAIN: 11,
  ENODEV: 19,
  EINVAL: 22,
} as const;
export type GuestErrnoName = keyof typeof GUEST_ERRNO;

/**
 * What a process inside the guest would see as -1 / errno from getrandom(2) or read(2):
 * EAGAIN (not ready and non-blocking), EINVAL (bad flags), ENODEV (no hwrng), EIO.
 */
export class GuestSyscallError extends Error {
  readonly errno: number;
  constructor(
    readonly code: GuestErrnoName,
    message: string,
  ) {
    super(message);
    this.name = "GuestSyscallError";
    this.errno = GUEST_ERRNO[code];
  }
}

export type GuestKernelErrorCode =
  /** Options or GuestSpec the kernel cannot run with. */
  | "BAD_OPTIONS"
  /** The boot image is not a usable guest memory description. */
  | "BAD_BOOT_IMAGE"
  /** A bad JavaScript argument to a public method (length, flags type, bytes). */
  | "BAD_ARGUMENT"
  /** boot() called twice. */
  | "ALREADY_BOOTED"
  /** The kernel panicked: nothing runs any more. */
  | "PANICKED"
  /** A snapshot that does not describe a guest kernel. */
  | "BAD_SNAPSHOT"
  /** The event loop found a timer that never advances (a bug, reported instead of hanging). */
  | "LIVELOCK";

/** Misuse of the GuestKernel API or unusable input, as opposed to an errno the guest returns. */
export class GuestKernelError extends Error {
  constructor(
    readonly code: GuestKernelErrorCode,
    message: string,
  ) {
    super(message);
    this.name = "GuestKernelError";
  }
}
