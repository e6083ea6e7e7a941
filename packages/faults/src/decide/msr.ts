import type { ValidFault } from "../spec.js";
import { attackerU64 } from "./attacker.js";

/** The shape of @vmrng/devices' MsrAccess: a value, or #GP injected into the guest. */
export type MsrFaultAnswer = { kind: "ok"; value: bigint } | { kind: "gp"; index: number };

/**
 * The answer to an rdmsr of the CommonHV RNG MSR at `index` under the active faults (id order,
 * the last MSR fault wins): msr.zero → 0 (the proposal allows it: "MAY return 0"), msr.gp → #GP
 * (the proposal says it MUST NOT fault: this models a hypervisor that breaks that), malicious →
 * attackerU64("msr", counter). Otherwise `value`, the healthy device's answer.
 */
export function msrFaultAnswer(
  faults: readonly ValidFault[],
  index: number,
  value: bigint,
  counter = 0,
): MsrFaultAnswer {
  let answer: MsrFaultAnswer = { kind: "ok", value };
  for (const f of faults) {
    if (f.kind === "msr.zero") answer = { kind: "ok", value: 0n };
    else if (f.kind === "msr.gp") answer = { kind: "gp", index };
    else if (f.kind === "malicious") answer = { kind: "ok", value: attackerU64("msr", counter) };
  }
  return answer;
}
