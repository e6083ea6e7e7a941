/** What went wrong, named after the errno the kernel would return where there is one. */
export type CrngErrorCode =
  /** getrandom(GRND_NONBLOCK) before the CRNG is ready: -EAGAIN. */
  | "EAGAIN"
  /** getrandom() with unknown flags or GRND_INSECURE|GRND_RANDOM: -EINVAL. */
  | "EINVAL"
  /** ioctl(RNDRESEEDCRNG) before the CRNG is ready: -ENODATA. */
  | "ENODATA"
  /** A synchronous call that the kernel would block in wait_for_random_bytes(); use the async form. */
  | "WOULD_BLOCK"
  /** A bad JavaScript argument (length, cpu index, option). */
  | "EARG"
  /** The ArchRandom or Clock passed in misbehaved (wrong type, NaN). */
  | "EPLATFORM"
  /** A snapshot that does not describe a valid CRNG state. */
  | "EBADSNAPSHOT";

const ERRNO: Partial<Record<CrngErrorCode, number>> = {
  EAGAIN: 11,
  EINVAL: 22,
  ENODATA: 61,
  // A sync caller that would block is told "try again" (EWOULDBLOCK == EAGAIN on Linux).
  WOULD_BLOCK: 11,
};

export class CrngError extends Error {
  /** The Linux errno for codes that have one (EAGAIN 11, EINVAL 22, ENODATA 61), else undefined. */
  readonly errno: number | undefined;
  constructor(
    readonly code: CrngErrorCode,
    message: string,
  ) {
    super(message);
    this.name = "CrngError";
    this.errno = ERRNO[code];
  }
}
