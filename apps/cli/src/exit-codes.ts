/**
 * Every exit status `vmrng` uses, in one place (documented in the root README, "Exit codes").
 * Scripts branch on these, so a number never changes meaning.
 */
export const ExitCode = {
  /** Success. */
  OK: 0,
  /** Something failed that has no more specific code (the host crashed, a remote error). */
  FAILURE: 1,
  /** Bad usage: unknown option, bad argument, bad --set, or an invalid cluster file. */
  USAGE: 2,
  /** No cluster runs in the run directory (no state.json, or the recorded host is dead). */
  NOT_RUNNING: 3,
  /** `up --wait`: a guest missed its boot target (timeout, unexpected panic, crash). */
  BOOT_TARGET: 4,
  /** A guest read would block: EAGAIN from getrandom(GRND_NONBLOCK) or an O_NONBLOCK read. */
  EAGAIN: 5,
  /** A guest call failed with another errno (EINVAL for bad flags, ENODEV without hwrng, …). */
  GUEST_ERRNO: 6,
  /** `up` refused: a live cluster already runs in this run directory. */
  ALREADY_RUNNING: 7,
  /** The named node is not part of the cluster. */
  NO_SUCH_NODE: 8,
  /** Foreground `up` stopped the cluster after SIGINT (Ctrl-C): 128 + 2, as shells report it. */
  INTERRUPTED: 130,
  /** Foreground `up` stopped the cluster after SIGTERM: 128 + 15. */
  TERMINATED: 143,
} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

/** An error the CLI reports as `vmrng: <message>` and turns into its exit code. */
export class CliError extends Error {
  readonly code = "E_CLI";
  constructor(
    message: string,
    readonly exitCode: ExitCode,
  ) {
    super(message);
    this.name = "CliError";
  }
}

interface Coded {
  code?: unknown;
  errno?: unknown;
  remoteCode?: unknown;
  exitCode?: unknown;
}

/**
 * The exit code for anything a command may throw. Matched on `code` (not instanceof) so errors
 * from either the source or the built copy of a package map the same way.
 */
export function exitCodeOf(err: unknown): ExitCode {
  const e = (typeof err === "object" && err !== null ? err : {}) as Coded;
  switch (e.code) {
    case "E_CLI":
      return e.exitCode as ExitCode;
    case "E_CLUSTER_FILE":
    case "E_SET":
    case "E_BYTE_SIZE":
      return ExitCode.USAGE;
    case "E_NOT_RUNNING":
      return ExitCode.NOT_RUNNING;
    case "E_GUEST_ERRNO":
      return e.errno === "EAGAIN" ? ExitCode.EAGAIN : ExitCode.GUEST_ERRNO;
    case "E_REMOTE":
      return e.remoteCode === "E_NOT_FOUND" ? ExitCode.NO_SUCH_NODE : ExitCode.FAILURE;
    default:
      return ExitCode.FAILURE;
  }
}
