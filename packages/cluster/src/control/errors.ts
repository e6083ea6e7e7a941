import { ERRNO, type ErrnoName } from "@vmrng/wire";

/** Why a control command found no cluster to talk to. */
export type NotRunningReason = "no-state" | "host-dead" | "unreachable";

/**
 * No cluster answers in this run directory: nothing was ever started there (no state.json), the
 * recorded host process is gone, or it is alive but its control endpoint does not answer.
 */
export class ClusterNotRunningError extends Error {
  readonly code = "E_NOT_RUNNING";
  constructor(
    readonly runDir: string,
    readonly reason: NotRunningReason,
    readonly hostPid?: number,
    detail?: string,
  ) {
    super(notRunningMessage(runDir, reason, hostPid, detail));
    this.name = "ClusterNotRunningError";
  }
}

function notRunningMessage(
  runDir: string,
  reason: NotRunningReason,
  hostPid: number | undefined,
  detail: string | undefined,
): string {
  switch (reason) {
    case "no-state":
      return `no cluster is running in ${runDir} (no state.json); start one with 'vmrng up'`;
    case "host-dead":
      return `no cluster is running in ${runDir}: recorded host pid ${hostPid} is not alive`;
    case "unreachable":
      return `the cluster in ${runDir} does not answer (host pid ${hostPid}${detail ? `: ${detail}` : ""})`;
  }
}

/**
 * A "userspace" call in a guest failed with an errno, exactly as the guest kernel answered it
 * (e.g. EAGAIN from getrandom(GRND_NONBLOCK) before crng init, EINVAL for unknown flags).
 */
export class GuestErrnoError extends Error {
  readonly code = "E_GUEST_ERRNO";
  /** The Linux errno number (include/uapi/asm-generic/errno-base.h). */
  readonly errnoNumber: number;
  constructor(
    readonly vm: string,
    /** The call as a C programmer would write it, e.g. "getrandom(32, GRND_NONBLOCK)". */
    readonly call: string,
    readonly errno: ErrnoName,
  ) {
    super(`${call} in guest ${vm}: ${errno}`);
    this.name = "GuestErrnoError";
    this.errnoNumber = ERRNO[errno];
  }
}

/** The state file exists but cannot be used (torn by hand, or written by a newer vmrng). */
export class RunStateError extends Error {
  readonly code = "E_RUN_STATE";
  constructor(
    readonly file: string,
    reason: string,
  ) {
    super(`${file}: ${reason}`);
    this.name = "RunStateError";
  }
}
