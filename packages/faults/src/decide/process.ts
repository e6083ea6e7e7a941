import type { ValidFault } from "../spec.js";

/** What the parent does to a node's process when a process fault starts or stops. */
export type ProcessAction = "SIGKILL" | "SIGSTOP" | "SIGCONT" | "restart" | null;

/**
 * kill → SIGKILL at start (nothing to undo: the parent's own restart policy decides what
 * follows); pause → SIGSTOP at start, SIGCONT at removal or expiry; restart → a stop and start
 * at start, nothing at stop. Non-process kinds → null.
 */
export function processAction(fault: ValidFault, phase: "start" | "stop"): ProcessAction {
  switch (fault.kind) {
    case "kill":
      return phase === "start" ? "SIGKILL" : null;
    case "pause":
      return phase === "start" ? "SIGSTOP" : "SIGCONT";
    case "restart":
      return phase === "start" ? "restart" : null;
    default:
      return null;
  }
}
