import type { ClusterSpec } from "@vmrng/cluster";
import {
  type ClusterNode,
  parseFaultSpec,
  parseTarget,
  type ValidFault,
  validateFaultSpec,
} from "@vmrng/faults";
import type { FaultInput, Scenario } from "@vmrng/scenario";
import { CliError, ExitCode } from "../exit-codes.js";
import { clusterNodes } from "./cluster-facts.js";

/** A schedule fault, checked before anything starts. */
export interface CheckedFault {
  /** Index of the step in the scenario's schedule. */
  step: number;
  fault: ValidFault;
}

/** `{kind, ...params}` or a SPEC string → the raw fault @vmrng/faults validates. */
export function rawFault(
  input: FaultInput,
  target: string,
): { kind: string; target: string; params: Record<string, unknown> } {
  if (typeof input === "string") {
    const { kind, params } = parseFaultSpec(input);
    return { kind, target, params };
  }
  const { kind, params: nested, ...flat } = input;
  const params =
    typeof nested === "object" && nested !== null && !Array.isArray(nested)
      ? { ...flat, ...(nested as Record<string, unknown>) }
      : nested === undefined
        ? flat
        : { ...flat, params: nested };
  return { kind, target, params };
}

/**
 * Every node a scenario may name: the cluster file's, plus each clone the schedule creates
 * (a guest of its parent's hypervisor), so `target: vm-1-c1` is checked before the run.
 */
export function plannedNodes(scenario: Scenario, spec: ClusterSpec): ClusterNode[] {
  const nodes = clusterNodes(spec);
  for (const s of scenario.schedule) {
    if (s.kind !== "op" || s.op !== "clone") continue;
    const parent = nodes.find((n) => n.id === s.vm)?.parent;
    for (const id of s.ids)
      if (!nodes.some((n) => n.id === id))
        nodes.push({ id, role: "guest", ...(parent ? { parent } : {}) });
  }
  return nodes;
}

/**
 * Validates every fault of the schedule (kind, params, target and the role it names) with
 * @vmrng/faults, and checks that each op names a node the run will have. A bad scenario is a
 * usage error (exit 2) naming the step, found before any process starts.
 */
export function checkScenarioAgainstCluster(scenario: Scenario, spec: ClusterSpec): CheckedFault[] {
  const nodes = plannedNodes(scenario, spec);
  const guests = new Set(nodes.filter((n) => n.role === "guest").map((n) => n.id));
  const where = (i: number) => `${scenario.source}: schedule[${i}]`;
  const out: CheckedFault[] = [];
  for (const s of scenario.schedule) {
    if (s.kind === "fault") {
      try {
        const raw = rawFault(s.fault, s.target);
        const sel = parseTarget(raw.target);
        if (sel.type === "node" && !nodes.some((n) => n.id === sel.id))
          throw new Error(
            `unknown node '${sel.id}'; the run has ${nodes.map((n) => n.id).join(", ")}`,
          );
        out.push({ step: s.index, fault: validateFaultSpec(raw, nodes) });
      } catch (err) {
        throw new CliError(`${where(s.index)}: ${(err as Error).message}`, ExitCode.USAGE);
      }
    } else if (s.kind === "op" && !guests.has(s.vm)) {
      throw new CliError(
        `${where(s.index)}: op ${s.op} names '${s.vm}', which is no guest of the cluster nor a clone the schedule makes (guests: ${[...guests].join(", ")})`,
        ExitCode.USAGE,
      );
    } else if (s.kind === "wait" && s.node !== undefined && !nodes.some((n) => n.id === s.node)) {
      throw new CliError(
        `${where(s.index)}: wait names node '${s.node}', which the run will not have`,
        ExitCode.USAGE,
      );
    }
  }
  const load = scenario.load;
  if (load && load.targets !== "guests")
    for (const vm of load.targets)
      if (!guests.has(vm))
        throw new CliError(
          `${scenario.source}: load.targets names '${vm}', which is no guest of the cluster nor a planned clone`,
          ExitCode.USAGE,
        );
  return out;
}
