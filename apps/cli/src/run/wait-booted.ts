import type { ClusterSpec } from "@vmrng/cluster";
import type { ControlClient } from "@vmrng/cluster/control";
import { sleep } from "../process/pids.js";
import { evaluateTarget } from "../status/boot-target.js";
import { specGuests } from "./cluster-facts.js";

/**
 * Waits until every guest's kernel runs (or, for `expect: panic`, has panicked), without
 * waiting for READY: a scenario's load may start while crng_init is still pending, which is
 * when a flags-0 getrandom must block. Returns the guests still undecided at the timeout (the
 * run goes on: the checkers judge them).
 */
export async function waitBooted(
  client: ControlClient,
  spec: ClusterSpec,
  timeoutMs: number,
  signal: AbortSignal,
): Promise<string[]> {
  let pending = specGuests(spec);
  const deadline = Date.now() + timeoutMs;
  while (pending.length > 0 && !signal.aborted) {
    const nodes = await client.status(pending.map((g) => g.id));
    const byId = new Map(nodes.map((n) => [n.node, n]));
    pending = pending.filter(
      (g) =>
        evaluateTarget(g.expect === "panic" ? "panic" : "booted", byId.get(g.id)).state ===
        "pending",
    );
    if (pending.length === 0 || Date.now() >= deadline) break;
    await sleep(100);
  }
  return pending.map((g) => g.id);
}
