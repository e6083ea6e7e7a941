/**
 * Every way a fault can be refused. The message names what was wrong (the key, the value, the
 * allowed values or range, a close match for a misspelling) so a user can fix the command.
 * - E_FAULT_SPEC: the SPEC text, the kind, or a parameter is wrong.
 * - E_FAULT_TARGET: the target is malformed, names no known node, a role the kind refuses, or
 *   selects nothing.
 * - E_FAULT_DURATION: a duration is malformed, negative or beyond 24 h.
 * - E_FAULT_NOT_FOUND: no armed fault has that id.
 * - E_FAULT_SEED: a seed for SeededRandom is not an integer or a string.
 */
export type FaultErrorCode =
  | "E_FAULT_SPEC"
  | "E_FAULT_TARGET"
  | "E_FAULT_DURATION"
  | "E_FAULT_NOT_FOUND"
  | "E_FAULT_SEED";

export class FaultError extends Error {
  override readonly name = "FaultError";
  constructor(
    readonly code: FaultErrorCode,
    message: string,
  ) {
    super(message);
  }
}
