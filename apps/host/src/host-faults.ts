import {
  type ClusterNode,
  FaultError,
  FaultTable,
  type FaultTableEntry,
  linkToxicsFor,
  processAction,
  resolveTargets,
  SeededRandom,
  type ValidFault,
  validateFaultSpec,
} from "@vmrng/faults";
import { type FaultEntry, type FaultSpec, type Link, WireError } from "@vmrng/wire";

/** What the host needs from the rest of the process to apply faults. */
export interface HostFaultDeps {
  /** Every node of the running cluster, clones included. */
  nodes(): ClusterNode[];
  /** The connected Link of hypervisor `id`, if any. */
  hvLink(id: string): Link | undefined;
  /** SIGKILL a hypervisor; `hold`: keep it down until release(). */
  killHypervisor(id: string, hold: boolean): void;
  releaseHypervisor(id: string): void;
  signalHypervisor(id: string, sig: "SIGSTOP" | "SIGCONT"): void;
  /** Records a fault event in the history. */
  record(kind: "fault.start" | "fault.stop" | "fault.error", message: string, data: object): void;
  now(): number;
}

/**
 * The cluster's one fault registry. `fault.add` is validated here (kind, params, target), the
 * target resolved (random ones drawn from a seeded stream), numbered, and handed to the
 * process that owns the link or device: the host itself for a hypervisor's link and process,
 * the hypervisor for its guests (which passes CPU and clock faults on to the guest). Expiry
 * and clearing run the same path backwards. The host re-sends a hypervisor's faults when a
 * restarted one connects, so a fault outlives the process it was applied in.
 */
export class HostFaults {
  private readonly table = new FaultTable();
  private readonly random: SeededRandom;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly deps: HostFaultDeps,
    seed: number,
  ) {
    this.random = new SeededRandom(seed).fork("fault-targets");
  }

  async add(spec: FaultSpec, forMs: number | undefined): Promise<number> {
    const nodes = this.deps.nodes();
    let fault: ValidFault;
    let targets: string[];
    try {
      fault = validateFaultSpec(
        { kind: spec.kind, target: spec.target, params: spec.params as Record<string, unknown> },
        nodes,
      );
      targets = resolveTargets(spec.target, nodes, this.random, fault.kind);
      if (fault.kind === "partition") {
        const other = fault.params.with;
        if (!nodes.some((n) => n.id === other))
          throw new FaultError("E_FAULT_TARGET", `partition: no node '${other}' in the cluster`);
        if (targets.includes(other))
          throw new FaultError("E_FAULT_TARGET", `partition: '${other}' cannot be cut from itself`);
      }
    } catch (err) {
      if (err instanceof FaultError) throw new WireError("E_INVALID", err.message);
      throw err;
    }
    const id = this.table.add({ ...fault, nodes: targets }, this.deps.now(), {
      ...(forMs === undefined ? {} : { durationMs: forMs }),
    });
    const entry = this.table.require(id);
    try {
      for (const node of targets) await this.apply(entry, node, "start");
    } catch (err) {
      // Undo what was applied and forget it: a fault is armed everywhere or nowhere.
      this.table.remove(id);
      for (const node of targets) await this.apply(entry, node, "stop").catch(() => undefined);
      this.deps.record("fault.error", `fault ${id} (${spec.kind} on ${spec.target}) failed`, {
        fault: id,
        error: (err as Error).message,
      });
      throw err instanceof WireError ? err : new WireError("E_INVALID", (err as Error).message);
    }
    this.deps.record(
      "fault.start",
      `fault ${id}: ${spec.kind} on ${targets.join(", ")}${forMs === undefined ? "" : ` for ${forMs} ms`}`,
      {
        fault: id,
        kind: spec.kind,
        target: spec.target,
        nodes: targets,
        params: fault.params,
        ...(forMs === undefined ? {} : { forMs }),
      },
    );
    this.arm();
    return id;
  }

  list(): FaultEntry[] {
    const now = this.deps.now();
    return this.table.list(now).map((l) => ({
      fault: l.fault,
      spec: { kind: l.spec.kind, target: l.spec.target, params: l.spec.params as never },
      active: l.active,
      ...(l.nodes ? { nodes: l.nodes } : {}),
      ageMs: Math.max(0, now - l.startedAt),
      ...(l.expiresAt === undefined ? {} : { remainingMs: Math.max(0, l.expiresAt - now) }),
    }));
  }

  /** Disarms one fault, every fault whose target or resolved nodes name `target`, or all. */
  async clear(which: { fault?: number; target?: string }): Promise<number> {
    let entries: FaultTableEntry[];
    if (which.fault !== undefined) {
      const e = this.table.get(which.fault);
      if (!e) throw new WireError("E_NOT_FOUND", `no fault ${which.fault} is armed`);
      entries = [e];
    } else if (which.target !== undefined) {
      const t = which.target;
      entries = this.entries().filter(
        (e) =>
          e.spec.target === t ||
          e.nodes?.includes(t) ||
          (e.spec.kind === "partition" && e.spec.params.with === t),
      );
    } else entries = this.entries();
    for (const e of entries) await this.disarm(e, "cleared");
    return entries.length;
  }

  /** A (restarted) hypervisor connected: give it back the faults it applies. */
  async resend(hv: string): Promise<void> {
    for (const e of this.entries()) {
      for (const node of e.nodes ?? []) {
        if (this.ownerOf(e.spec, node) === hv)
          await this.sendToHv(hv, e, node).catch(() => undefined);
      }
    }
  }

  private entries(): FaultTableEntry[] {
    return this.table.list(this.deps.now()).map((l) => this.table.require(l.fault));
  }

  private async disarm(e: FaultTableEntry, why: "cleared" | "expired"): Promise<void> {
    if (!this.table.remove(e.fault)) return;
    for (const node of e.nodes ?? []) await this.apply(e, node, "stop").catch(() => undefined);
    this.deps.record("fault.stop", `fault ${e.fault}: ${e.spec.kind} ${why}`, {
      fault: e.fault,
      kind: e.spec.kind,
      nodes: e.nodes ?? [],
      why,
    });
  }

  private arm(): void {
    clearTimeout(this.timer);
    const at = this.table.nextExpiryAt();
    if (at === null) return;
    this.timer = setTimeout(
      () => {
        const now = this.deps.now();
        // expire() removes them; put each back for disarm() to undo and record it.
        const due = this.table
          .list(now)
          .filter((l) => l.expiresAt !== undefined && l.expiresAt <= now);
        void (async () => {
          for (const l of due) {
            const e = this.table.get(l.fault);
            if (e) await this.disarm(e, "expired");
          }
          this.arm();
        })();
      },
      Math.max(0, at - this.deps.now()),
    );
  }

  /** The process that applies `spec` for `node`: "host" or a hypervisor id. */
  private ownerOf(spec: ValidFault, node: string): string {
    const nodes = this.deps.nodes();
    const n = nodes.find((x) => x.id === node);
    if (!n) throw new WireError("E_NOT_FOUND", `no node ${node}`);
    if (spec.kind === "partition") {
      const other = nodes.find((x) => x.id === spec.params.with);
      // host | hypervisor: the host's end of their link; anything touching a guest: its hypervisor.
      const guest = n.role === "guest" ? n : other?.role === "guest" ? other : undefined;
      if (guest?.parent) return guest.parent;
      return "host";
    }
    if (n.role === "hypervisor") return "host";
    if (n.role === "guest" && n.parent) return n.parent;
    throw new WireError("E_INVALID", `${spec.kind} cannot target ${node}`);
  }

  private async apply(e: FaultTableEntry, node: string, phase: "start" | "stop"): Promise<void> {
    const owner = this.ownerOf(e.spec, node);
    if (owner !== "host") {
      if (phase === "start") await this.sendToHv(owner, e, node);
      else {
        const link = this.deps.hvLink(owner);
        if (link) await link.request({ t: "fault.clear", fault: e.fault }, { timeoutMs: 10_000 });
      }
      return;
    }
    const spec = e.spec;
    if (spec.kind === "partition") {
      // host ⟷ hypervisor: a blackhole both ways on their link (Toxiproxy's timeout toxic).
      const hv = node === "host" ? spec.params.with : node;
      const link = this.deps.hvLink(hv);
      const name = `fault-${e.fault}`;
      if (phase === "start") {
        link?.addToxic(`${name}:down`, "send", { type: "timeout", timeoutMs: 0 });
        link?.addToxic(`${name}:up`, "receive", { type: "timeout", timeoutMs: 0 });
      } else {
        link?.removeToxic(`${name}:down`);
        link?.removeToxic(`${name}:up`);
      }
      return;
    }
    if (e.layer === "link") {
      const placements = linkToxicsFor(spec, `fault-${e.fault}`);
      const link = this.deps.hvLink(node);
      for (const p of placements) {
        if (p.side === "parent") {
          if (phase === "start")
            link?.addToxic(p.name, p.direction, p.toxic, this.random.fork(p.name).asFunction());
          else link?.removeToxic(p.name);
        } else if (link) {
          // The slicer's `up` half fragments what the hypervisor sends: its own end applies it.
          if (phase === "start") await this.sendToHv(node, e, node);
          else await link.request({ t: "fault.clear", fault: e.fault }, { timeoutMs: 10_000 });
        }
      }
      return;
    }
    if (e.layer === "process") {
      const action = processAction(spec, phase);
      if (action === "SIGKILL") this.deps.killHypervisor(node, e.expiresAt !== undefined);
      else if (action === "restart") this.deps.killHypervisor(node, false);
      else if (action === "SIGSTOP" || action === "SIGCONT")
        this.deps.signalHypervisor(node, action);
      if (phase === "stop" && spec.kind === "kill") this.deps.releaseHypervisor(node);
      return;
    }
    throw new WireError("E_INVALID", `${spec.kind} does not apply to hypervisor ${node}`);
  }

  private async sendToHv(hv: string, e: FaultTableEntry, node: string): Promise<void> {
    const link = this.deps.hvLink(hv);
    if (!link) throw new WireError("E_CLOSED", `hypervisor ${hv} is not connected`);
    await link.request(
      {
        t: "fault.add",
        fault: e.fault,
        nodes: [node],
        spec: { kind: e.spec.kind, target: e.spec.target, params: e.spec.params as never },
        ...(e.expiresAt === undefined ? {} : { forMs: Math.max(0, e.expiresAt - this.deps.now()) }),
      },
      { timeoutMs: 10_000 },
    );
  }
}
