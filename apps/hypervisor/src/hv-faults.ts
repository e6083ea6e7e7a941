import {
  FaultError,
  type FaultLayer,
  layerOf,
  linkToxicsFor,
  processAction,
  SeededRandom,
  type ValidFault,
  validateFaultSpec,
} from "@vmrng/faults";
import { type FaultAdd, type FaultEntry, type Link, type LinkClient, WireError } from "@vmrng/wire";
import type { GuestSession } from "./guest-session.js";

interface Armed {
  fault: number;
  spec: ValidFault;
  layer: FaultLayer;
  nodes: string[];
}

export interface HypervisorFaultDeps {
  id: string;
  session(node: string): GuestSession | undefined;
  host: LinkClient;
  emit(node: string, kind: string, level: "info" | "warn", message: string, data?: object): void;
}

/**
 * The faults this hypervisor applies, as numbered by the host: toxics on its guests' links,
 * device and boot faults its backends consult, process faults on its guests, partitions
 * between the host and a guest (relayed traffic dropped here), and CPU/clock faults it passes
 * on to the guest, which owns its CPU. A guest that reconnects or reboots gets them again.
 */
export class HypervisorFaults {
  private readonly armed = new Map<number, Armed>();
  private readonly random = new SeededRandom(Date.now()).fork("hv-toxics");

  constructor(private readonly deps: HypervisorFaultDeps) {}

  /** The active faults on `node` (optionally of one layer), in the order they were armed. */
  faultsFor(node: string, layer?: FaultLayer): ValidFault[] {
    const out: ValidFault[] = [];
    for (const a of this.armed.values())
      if (a.nodes.includes(node) && (layer === undefined || a.layer === layer)) out.push(a.spec);
    return out;
  }

  /** What this hypervisor has armed, for `fault.list`. */
  list(): FaultEntry[] {
    return [...this.armed.values()].map((a) => ({
      fault: a.fault,
      spec: { kind: a.spec.kind, target: a.spec.target, params: a.spec.params as never },
      active: true,
      nodes: a.nodes,
    }));
  }

  /** True while a partition cuts `guest` from the host: relayed requests and events are dropped. */
  cutFromHost(guest: string): boolean {
    for (const a of this.armed.values()) {
      if (a.spec.kind !== "partition") continue;
      const pair = [a.nodes[0], a.spec.params.with];
      if (pair.includes(guest) && pair.includes("host")) return true;
    }
    return false;
  }

  async add(msg: FaultAdd): Promise<number> {
    if (msg.fault === undefined || !msg.nodes?.length) {
      throw new WireError(
        "E_INVALID",
        "fault.add to a hypervisor needs the host's fault number and nodes",
      );
    }
    let spec: ValidFault;
    try {
      spec = validateFaultSpec({
        kind: msg.spec.kind,
        target: msg.spec.target,
        params: msg.spec.params as Record<string, unknown>,
      });
    } catch (err) {
      if (err instanceof FaultError) throw new WireError("E_INVALID", err.message);
      throw err;
    }
    // The host hands one fault over node by node (`all`, `role:guest`): collect its nodes.
    const known = this.armed.get(msg.fault);
    const fresh = msg.nodes.filter((n) => !known?.nodes.includes(n));
    const a: Armed = known ?? { fault: msg.fault, spec, layer: layerOf(spec.kind), nodes: [] };
    a.nodes.push(...fresh);
    this.armed.set(a.fault, a);
    for (const node of fresh) await this.apply(a, node, "start");
    return a.fault;
  }

  async clear(fault: number | undefined): Promise<number> {
    const list =
      fault === undefined
        ? [...this.armed.values()]
        : [this.armed.get(fault)].filter((a) => a !== undefined);
    for (const a of list) {
      this.armed.delete(a.fault);
      for (const node of a.nodes) await this.apply(a, node, "stop").catch(() => undefined);
    }
    return list.length;
  }

  /** A guest's link is (re)attached: put its link toxics and CPU/clock faults back. */
  async reattach(node: string): Promise<void> {
    for (const a of this.armed.values()) {
      if (!a.nodes.includes(node)) continue;
      if (a.layer === "link" || a.layer === "cpu")
        await this.apply(a, node, "start").catch(() => undefined);
    }
  }

  private async apply(a: Armed, node: string, phase: "start" | "stop"): Promise<void> {
    const { spec } = a;
    const name = `fault-${a.fault}`;
    if (node === this.deps.id) {
      // Only the slicer's up half lands here: it fragments what we send to the host.
      const link = this.deps.host.link;
      for (const p of linkToxicsFor(spec, name)) {
        if (p.side !== "child") continue;
        if (phase === "start")
          addToxic(link, p.name, p.direction, p.toxic, this.random.fork(p.name).asFunction());
        else link?.removeToxic(p.name);
      }
      return;
    }
    if (spec.kind === "partition") {
      const pair = [node, spec.params.with];
      const guest = pair.find((n) => n !== "host" && n !== this.deps.id && this.deps.session(n));
      if (!guest) return;
      if (pair.includes(this.deps.id)) {
        // hypervisor ⟷ its guest: a blackhole both ways on their link.
        const link = this.deps.session(guest)?.link ?? undefined;
        if (phase === "start") {
          addToxic(link, `${name}:down`, "send", { type: "timeout", timeoutMs: 0 });
          addToxic(link, `${name}:up`, "receive", { type: "timeout", timeoutMs: 0 });
        } else {
          link?.removeToxic(`${name}:down`);
          link?.removeToxic(`${name}:up`);
        }
      } else if (!pair.includes("host")) {
        this.deps.emit(
          guest,
          "fault.note",
          "info",
          `partition ${pair.join(" | ")}: no traffic flows between them in this topology`,
        );
      }
      // host ⟷ guest: cutFromHost() answers true while it is armed.
      return;
    }
    const s = this.deps.session(node);
    if (!s) throw new WireError("E_NOT_FOUND", `no guest ${node} on hypervisor ${this.deps.id}`);
    switch (a.layer) {
      case "link":
        for (const p of linkToxicsFor(spec, name)) {
          if (p.side === "parent") {
            if (phase === "start")
              addToxic(
                s.link ?? undefined,
                p.name,
                p.direction,
                p.toxic,
                this.random.fork(p.name).asFunction(),
              );
            else s.link?.removeToxic(p.name);
          } else await this.toGuest(s, a, phase);
        }
        return;
      case "cpu":
        await this.toGuest(s, a, phase);
        return;
      case "process": {
        const action = processAction(spec, phase);
        if (action === "SIGKILL") s.crash();
        else if (action === "SIGSTOP") s.pause();
        else if (action === "SIGCONT") s.resume();
        else if (action === "restart") void s.restart();
        return;
      }
      case "device":
        if (phase === "start") s.onFaultArmed(spec);
        else s.onFaultCleared(spec);
        return;
      case "boot":
        // Consulted at the guest's next boot (GuestSession.attach).
        return;
    }
  }

  /** The guest owns its CPU and clock: hand it the fault (or its removal). */
  private async toGuest(s: GuestSession, a: Armed, phase: "start" | "stop"): Promise<void> {
    const link = s.link;
    if (!link) return; // re-sent when it (re)attaches
    if (phase === "start") {
      await link.request(
        {
          t: "fault.add",
          fault: a.fault,
          nodes: [s.id],
          spec: { kind: a.spec.kind, target: a.spec.target, params: a.spec.params as never },
        },
        { timeoutMs: 10_000 },
      );
    } else await link.request({ t: "fault.clear", fault: a.fault }, { timeoutMs: 10_000 });
  }
}

function addToxic(
  link: Link | undefined,
  name: string,
  direction: "send" | "receive",
  toxic: Parameters<Link["addToxic"]>[2],
  random?: () => number,
): void {
  if (link?.state !== "open") return;
  link.removeToxic(name);
  link.addToxic(name, direction, toxic, random);
}
