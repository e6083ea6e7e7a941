import type { FaultLayer } from "./catalogue/define.js";
import { FAULT_KINDS } from "./catalogue.js";
import { MAX_DURATION_MS } from "./duration.js";
import { FaultError } from "./errors.js";
import type { ValidFault } from "./spec.js";

/** One armed fault. */
export interface FaultTableEntry {
  /** Its id in this table (1, 2, 3… in the order added, never reused). */
  fault: number;
  spec: ValidFault;
  /** The nodes it was resolved to (random targets are drawn once, at add time). */
  nodes?: string[];
  layer: FaultLayer;
  startedAt: number;
  expiresAt?: number;
}

/** A row of `vmrng fault list`. */
export interface FaultListing {
  fault: number;
  spec: { kind: string; target: string; params: Record<string, unknown> };
  nodes?: string[];
  active: boolean;
  startedAt: number;
  expiresAt?: number;
}

/**
 * The armed faults of one process. It keeps no timers: the process asks `nextExpiryAt()`,
 * sets one timer, and calls `expire(now)` to learn what to undo. Entries are returned in id
 * order, which is also the order of precedence (a later fault wins where two disagree).
 */
export class FaultTable {
  private readonly entries = new Map<number, FaultTableEntry>();
  private nextId = 1;

  /** Arms a fault at `now`; with `durationMs` (> 0, ≤ 24 h) it expires at now + durationMs. */
  add(
    fault: ValidFault & { nodes?: string[] },
    now: number,
    opts: { durationMs?: number } = {},
  ): number {
    const d = opts.durationMs;
    if (d !== undefined && !(Number.isFinite(d) && d > 0 && d <= MAX_DURATION_MS)) {
      throw new FaultError(
        "E_FAULT_DURATION",
        `duration must be in (0, ${MAX_DURATION_MS}] ms, got ${String(d)}`,
      );
    }
    const { nodes, ...spec } = fault;
    const id = this.nextId++;
    const entry: FaultTableEntry = {
      fault: id,
      spec: spec as ValidFault,
      layer: FAULT_KINDS[fault.kind].layer,
      startedAt: now,
    };
    if (nodes !== undefined) entry.nodes = [...nodes];
    if (d !== undefined) entry.expiresAt = now + d;
    this.entries.set(id, entry);
    return id;
  }

  get(id: number): FaultTableEntry | undefined {
    return this.entries.get(id);
  }

  /** Like get(), but an unknown id is an E_FAULT_NOT_FOUND error naming the armed ids. */
  require(id: number): FaultTableEntry {
    const e = this.entries.get(id);
    if (e === undefined) {
      const ids = [...this.entries.keys()];
      throw new FaultError(
        "E_FAULT_NOT_FOUND",
        `no armed fault ${id}; armed: ${ids.length === 0 ? "none" : ids.join(", ")}`,
      );
    }
    return e;
  }

  /** Disarms one fault; the caller undoes it. */
  remove(id: number): FaultTableEntry | undefined {
    const e = this.entries.get(id);
    if (e !== undefined) this.entries.delete(id);
    return e;
  }

  /**
   * Disarms all faults, or those aimed at `target`: the same target string, or a resolved node
   * list that contains it. Returns them in id order.
   */
  clear(filter: { target?: string } = {}): FaultTableEntry[] {
    const out = this.all().filter((e) => filter.target === undefined || aimsAt(e, filter.target));
    for (const e of out) this.entries.delete(e.fault);
    return out;
  }

  /** Every armed fault; `active` is false once its duration ran out but before expire(). */
  list(now: number): FaultListing[] {
    return this.all().map((e) => {
      const row: FaultListing = {
        fault: e.fault,
        spec: {
          kind: e.spec.kind,
          target: e.spec.target,
          params: { ...(e.spec.params as Record<string, unknown>) },
        },
        active: isLive(e, now),
        startedAt: e.startedAt,
      };
      if (e.nodes !== undefined) row.nodes = [...e.nodes];
      if (e.expiresAt !== undefined) row.expiresAt = e.expiresAt;
      return row;
    });
  }

  /** Removes and returns the faults whose duration has run out at `now` (id order). */
  expire(now: number): FaultTableEntry[] {
    const out = this.all().filter((e) => !isLive(e, now));
    for (const e of out) this.entries.delete(e.fault);
    return out;
  }

  /** When the next armed fault expires, or null if none has a duration. */
  nextExpiryAt(): number | null {
    let next: number | null = null;
    for (const e of this.entries.values()) {
      if (e.expiresAt !== undefined && (next === null || e.expiresAt < next)) next = e.expiresAt;
    }
    return next;
  }

  /**
   * The live faults of `layer` acting on `node` (aimed at it by id or resolved to it), in id
   * order. With `now`, faults past their expiry are left out even before expire() ran.
   */
  activeFor(node: string, layer: FaultLayer, now?: number): FaultTableEntry[] {
    return this.all().filter(
      (e) => e.layer === layer && (now === undefined || isLive(e, now)) && touches(e, node),
    );
  }

  /** The specs of activeFor(), the shape the decision functions take. */
  faultsFor(node: string, layer: FaultLayer, now?: number): ValidFault[] {
    return this.activeFor(node, layer, now).map((e) => e.spec);
  }

  get size(): number {
    return this.entries.size;
  }

  private all(): FaultTableEntry[] {
    return [...this.entries.values()].sort((a, b) => a.fault - b.fault);
  }
}

function isLive(e: FaultTableEntry, now: number): boolean {
  return e.expiresAt === undefined || now < e.expiresAt;
}

function aimsAt(e: FaultTableEntry, target: string): boolean {
  return e.spec.target === target || touches(e, target);
}

/** A fault acts on its resolved nodes (or its node-id target) and, for a partition, on `with`. */
function touches(e: FaultTableEntry, node: string): boolean {
  if (e.spec.kind === "partition" && e.spec.params.with === node) return true;
  return e.nodes !== undefined ? e.nodes.includes(node) : e.spec.target === node;
}
