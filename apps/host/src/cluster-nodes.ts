import type { ClusterSpec, NodeChild, RunDir, RunState } from "@vmrng/cluster";
import type { Link } from "@vmrng/wire";

export type NodePhase =
  | "starting"
  | "running"
  | "stopping"
  | "stopped"
  | "crashed"
  | "panicked"
  | "paused";

export interface NodeRecord {
  id: string;
  role: "host" | "hypervisor" | "guest";
  /** The hypervisor a guest runs under. */
  parent?: string;
  pid?: number;
  state: NodePhase;
}

/**
 * Who is who in the running cluster: every node of the spec, its pid and phase, the Link of
 * each connected hypervisor. It also keeps state.json current, so `vmrng down` can find every
 * process even if the host dies.
 */
export class ClusterNodes {
  readonly nodes = new Map<string, NodeRecord>();
  readonly hvLinks = new Map<string, Link>();
  readonly hvProcs = new Map<string, NodeChild>();
  private persistQueued = false;

  constructor(
    readonly spec: ClusterSpec,
    private readonly runDir: RunDir,
    private readonly base: Omit<RunState, "nodes">,
  ) {
    this.nodes.set("host", { id: "host", role: "host", pid: process.pid, state: "running" });
    for (const hv of spec.hypervisors) {
      this.nodes.set(hv.id, { id: hv.id, role: "hypervisor", state: "starting" });
      for (const g of hv.guests) {
        this.nodes.set(g.id, { id: g.id, role: "guest", parent: hv.id, state: "starting" });
      }
    }
  }

  /** The hypervisor Link serving `node` (a guest or a hypervisor), if it is connected. */
  linkFor(node: string): Link | undefined {
    const rec = this.nodes.get(node);
    if (!rec) return undefined;
    return this.hvLinks.get(rec.role === "guest" ? rec.parent! : rec.id);
  }

  update(id: string, patch: Partial<Pick<NodeRecord, "pid" | "state">>): void {
    const rec = this.nodes.get(id);
    if (!rec) return;
    const changed =
      (patch.pid !== undefined && patch.pid !== rec.pid) ||
      (patch.state !== undefined && patch.state !== rec.state);
    Object.assign(rec, patch);
    if (changed) this.persist();
  }

  /** Coalesces bursts of updates (64 guests starting) into one atomic state.json write. */
  persist(): void {
    if (this.persistQueued) return;
    this.persistQueued = true;
    setImmediate(() => {
      this.persistQueued = false;
      this.persistNow();
    });
  }

  persistNow(): void {
    const nodes = [...this.nodes.values()]
      .filter((n) => n.pid !== undefined)
      .map((n) => ({ id: n.id, role: n.role, pid: n.pid! }));
    this.runDir.writeState({ ...this.base, nodes });
  }
}
