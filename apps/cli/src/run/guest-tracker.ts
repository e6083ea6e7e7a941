import type { ClusterSpec } from "@vmrng/cluster";
import type { ClusterEvent } from "@vmrng/cluster/control";
import type { ClusterNode } from "@vmrng/faults";
import { clusterNodes } from "./cluster-facts.js";

/** vm.state values after which a guest serves nothing until something starts it again. */
const GONE = new Set(["panicked", "crashed", "stopped"]);

/**
 * The nodes of the run as it goes: the cluster file's, plus clones as they are made, and each
 * guest's last known state from the event stream. Load on `targets: guests` picks from
 * `runningGuests()`; faults resolve their targets against `nodes()`.
 */
export class GuestTracker {
  readonly #nodes: ClusterNode[];
  readonly #state = new Map<string, string>();

  constructor(spec: ClusterSpec) {
    this.#nodes = clusterNodes(spec);
  }

  nodes(): ClusterNode[] {
    return [...this.#nodes];
  }

  hypervisorOf(guest: string): string | undefined {
    return this.#nodes.find((n) => n.id === guest && n.role === "guest")?.parent;
  }

  addClone(id: string, of: string): void {
    if (this.#nodes.some((n) => n.id === id)) return;
    const parent = this.hypervisorOf(of);
    this.#nodes.push({ id, role: "guest", ...(parent ? { parent } : {}) });
  }

  observe(e: ClusterEvent): void {
    if (e.kind === "panic") this.#state.set(e.node, "panicked");
    else if (e.kind === "vm.state" && typeof e.data?.state === "string")
      this.#state.set(e.node, e.data.state);
  }

  /** Guests not known to have panicked, crashed or stopped, sorted by id. */
  runningGuests(): string[] {
    return this.#nodes
      .filter((n) => n.role === "guest" && !GONE.has(this.#state.get(n.id) ?? "starting"))
      .map((n) => n.id)
      .sort();
  }
}
