import type { GuestSpec } from "@vmrng/cluster";
import type { NodeStatus } from "@vmrng/wire";

/** Where a guest stands against its boot target (`expect` in the cluster file). */
export type TargetState = "reached" | "pending" | "failed";

export interface TargetVerdict {
  state: TargetState;
  /** Why it failed or what it still waits for, in words. */
  reason: string;
}

/**
 * A guest expecting "ready" reaches its target when crng_init is READY ("random: crng init
 * done"); one expecting "booted" when its kernel runs, whatever crng_init; one expecting "panic" (a CoCo guest without a working RDRAND, cc_random_init in
 * arch/x86/coco/core.c) when its kernel panicked. Any other end of the process is a failure.
 */
export function evaluateTarget(
  expect: GuestSpec["expect"],
  node: NodeStatus | undefined,
): TargetVerdict {
  if (node === undefined) return { state: "pending", reason: "not started yet" };
  const init = node.crng?.init ?? "EMPTY";
  if (expect === "panic") {
    if (node.state === "panicked") return { state: "reached", reason: "panicked as expected" };
    if (node.state === "crashed" || node.state === "stopped")
      return { state: "failed", reason: `${node.state} without a kernel panic (expected a panic)` };
    return { state: "pending", reason: `${node.state}, crng ${init}; expected a kernel panic` };
  }
  if (expect === "booted") {
    // A starved guest: its target is to come up and keep running with crng_init pending until
    // something credits it (a blocked reader's jitter, interrupts, a device).
    if (node.state === "running" && node.crng !== undefined)
      return { state: "reached", reason: `running, crng ${init}` };
    if (node.state === "panicked" || node.state === "crashed" || node.state === "stopped")
      return { state: "failed", reason: `${node.state} (expected it to keep running)` };
    return { state: "pending", reason: `${node.state}` };
  }
  if (node.state === "panicked")
    return { state: "failed", reason: "kernel panic (expected crng READY)" };
  if (node.state === "crashed" || node.state === "stopped")
    return { state: "failed", reason: `${node.state} before crng READY` };
  if (init === "READY") return { state: "reached", reason: "crng READY" };
  return {
    state: "pending",
    reason: `crng ${init}, entropy_avail ${node.crng?.entropyAvail ?? 0}`,
  };
}

/** Every guest of the spec with its verdict, in cluster-file order. */
export function evaluateCluster(
  guests: readonly GuestSpec[],
  nodes: readonly NodeStatus[],
): (TargetVerdict & { id: string; expect: GuestSpec["expect"] })[] {
  const byId = new Map(nodes.map((n) => [n.node, n]));
  return guests.map((g) => ({
    id: g.id,
    expect: g.expect,
    ...evaluateTarget(g.expect, byId.get(g.id)),
  }));
}
