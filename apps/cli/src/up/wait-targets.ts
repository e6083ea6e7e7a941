import type { ClusterSpec } from "@vmrng/cluster";
import type { ControlClient } from "@vmrng/cluster/control";
import type { NodeStatus } from "@vmrng/wire";
import { sleep } from "../process/pids.js";
import { evaluateCluster } from "../status/boot-target.js";

export interface TargetReport {
  id: string;
  hypervisor: string;
  expect: "ready" | "panic";
  /** "missed": still pending when the timeout expired. */
  state: "reached" | "failed" | "missed";
  reason: string;
  /** Virtual ms from boot to crng_init READY, when reached. */
  timeToReadyMs: number | null;
}

/**
 * Polls status until every guest of `spec` reached or definitively failed its boot target, or
 * `timeoutMs` passed (then the pending ones are "missed"). `onPoll` sees every status round.
 */
export async function waitForTargets(
  client: ControlClient,
  spec: ClusterSpec,
  timeoutMs: number,
  onPoll?: (nodes: NodeStatus[], pending: number) => void,
): Promise<TargetReport[]> {
  const guests = spec.hypervisors.flatMap((h) => h.guests);
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const nodes = await client.status();
    const verdicts = evaluateCluster(guests, nodes);
    const pending = verdicts.filter((v) => v.state === "pending").length;
    onPoll?.(nodes, pending);
    const expired = Date.now() >= deadline;
    if (pending === 0 || expired) {
      const byId = new Map(nodes.map((n) => [n.node, n]));
      return verdicts.map((v, i) => ({
        id: v.id,
        hypervisor: guests[i]!.hypervisor,
        expect: v.expect,
        state: v.state === "pending" ? "missed" : v.state,
        reason: v.reason,
        timeToReadyMs: byId.get(v.id)?.crng?.readyAtMs ?? null,
      }));
    }
    await sleep(Math.min(100, Math.max(0, deadline - Date.now())));
  }
}
