import { CliError, ExitCode } from "../exit-codes.js";

/** `vmrng run` exit codes: a script can tell a broken invariant from a broken setup. */
export const RunExit = {
  /** Every invariant held as declared (and every fault was applied). */
  OK: ExitCode.OK,
  /** An invariant failed, a declared violation did not happen, or a fault could not be applied. */
  VIOLATION: ExitCode.FAILURE,
  /** The scenario, its cluster or an option is invalid: nothing was started. */
  BAD_INPUT: ExitCode.USAGE,
  /** The cluster did not start, or the host died or went away during the run. */
  INFRASTRUCTURE: 3,
} as const;

/** Error codes of bad input from the packages the runner validates with. */
const BAD_INPUT_CODES = new Set([
  "E_SCENARIO",
  "E_CLUSTER_FILE",
  "E_FAULT_SPEC",
  "E_FAULT_TARGET",
  "E_FAULT_DURATION",
  "E_FAULT_SEED",
  "E_DURATION",
]);

/** Runs `fn`; any validation error it throws becomes a usage error (exit 2) with its message. */
export async function asBadInput<T>(fn: () => T | Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    const code = (err as { code?: unknown })?.code;
    if (typeof code === "string" && BAD_INPUT_CODES.has(code))
      throw new CliError((err as Error).message, RunExit.BAD_INPUT);
    throw err;
  }
}

export const infraError = (message: string): CliError =>
  new CliError(message, RunExit.INFRASTRUCTURE as ExitCode);
