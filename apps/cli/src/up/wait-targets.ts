import type { ClusterSpec, GuestSpec } from "@vmrng/cluster";
import type { ControlClient } from "@vmrng/cluster/control";
import type { NodeStatus } from "@vmrng/wire";
import { sleep } from "../process/pids.js";
import { evaluateTarget } from "../status/boot-target.js";

export interface TargetReport {
  id: string;
  hypervisor: string;
  expect: GuestSpec["expect"];
  /** "missed": still pending when the timeout expired. */
  state: "reached" | "failed" | "missed";
  reason: string;
  /** Virtual ms from boot to crng_init READY, when reached. */
  timeToReadyMs: number | null;
}

/** Between status rounds: short enough to return promptly, long enough not to load booting guests. */
const POLL_MS = 250;

/** The final word on a guest: decided, or still pending when time ran out ("missed"). */
function report(g: GuestSpec, n: NodeStatus | undefined): TargetReport {
  const v = evaluateTarget(g.expect, n);
  return {
    id: g.id,
    hypervisor: g.hypervisor,
    expect: g.expect,
    state: v.state === "pending" ? "missed" : v.state,
    reason: v.reason,
    timeToReadyMs: n?.crng?.readyAtMs ?? null,
  };
}

/**
 * Polls status until every guest of `spec` reached or definitively failed its boot target, or
 * `timeoutMs` passed (then the pending ones are "missed"). Each round asks only about guests
 * still pending, so a large cluster is not queried whole ten times a second while it boots.
 * `onPoll` sees the count of decided guests after every round.
 */
export async function waitForTargets(
  client: ControlClient,
  spec: ClusterSpec,
  timeoutMs: number,
  onPoll?: (decided: number, total: number) => void,
): Promise<TargetReport[]> {
  const guests = spec.hypervisors.flatMap((h) => h.guests);
  const decided = new Map<string, TargetReport>();
  let pending = guests;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const nodes = await client.status(pending.map((g) => g.id));
    const byId = new Map(nodes.map((n) => [n.node, n]));
    const expired = Date.now() >= deadline;
    for (const g of pending) {
      const n = byId.get(g.id);
      if (evaluateTarget(g.expect, n).state !== "pending" || expired)
        decided.set(g.id, report(g, n));
    }
    pending = pending.filter((g) => !decided.has(g.id));
    onPoll?.(decided.size, guests.length);
    if (pending.length === 0) return guests.map((g) => decided.get(g.id)!);
    await sleep(Math.min(POLL_MS, Math.max(0, deadline - Date.now())));
  }
}
