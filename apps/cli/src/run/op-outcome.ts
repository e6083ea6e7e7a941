/**
 * How an operation ended, Jepsen-style: `ok` it happened, `fail` it certainly did not (the guest
 * answered an errno, the host refused the request), `info` nobody knows (the reply never came:
 * a timeout or a lost connection; the guest may have drawn the bytes anyway).
 */
export type Outcome =
  | { phase: "ok" }
  | { phase: "fail"; error: string; message: string }
  | { phase: "info"; error: string; message: string };

interface Coded {
  code?: unknown;
  errno?: unknown;
  remoteCode?: unknown;
  message?: unknown;
}

/** Codes after which the request may still have run at the other end. */
const INDETERMINATE = new Set(["E_TIMEOUT", "E_CLOSED", "E_BACKPRESSURE"]);

/** The history's view of an error thrown by a ControlClient call. */
export function outcomeOf(err: unknown): Outcome {
  const e = (typeof err === "object" && err !== null ? err : {}) as Coded;
  const message = typeof e.message === "string" ? e.message : String(err);
  if (e.code === "E_GUEST_ERRNO" && typeof e.errno === "string")
    return { phase: "fail", error: e.errno, message };
  if (e.code === "E_REMOTE") {
    // The host (or a hypervisor behind it) answered with an error: the call did not run,
    // unless that error is its own timeout waiting for the guest.
    const remote = typeof e.remoteCode === "string" ? e.remoteCode : "E_REMOTE";
    return { phase: remote === "E_TIMEOUT" ? "info" : "fail", error: remote, message };
  }
  if (typeof e.code === "string" && INDETERMINATE.has(e.code))
    return { phase: "info", error: e.code, message };
  if (typeof e.code === "string") return { phase: "fail", error: e.code, message };
  return { phase: "info", error: "E_UNKNOWN", message };
}
