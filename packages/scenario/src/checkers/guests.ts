import type { GuestFacts, HistoryRecord, NodeRecord, OpRecord } from "../history.js";

/** A guest as the `node` records describe it. */
export interface GuestInfo {
  node: string;
  /** The first `node` record of this guest. */
  record: NodeRecord;
  cloneOf?: string;
  /** Its own facts, else its parent's (a clone inherits the cluster file's settings). */
  facts?: GuestFacts;
}

/** Every guest named by a `node` record, with facts resolved along `cloneOf` chains. */
export function guestsOf(records: readonly HistoryRecord[]): Map<string, GuestInfo> {
  const guests = new Map<string, GuestInfo>();
  for (const r of records) {
    if (r.type !== "node" || r.role !== "guest") continue;
    const known = guests.get(r.node);
    if (!known) {
      guests.set(r.node, {
        node: r.node,
        record: r,
        ...(r.cloneOf === undefined ? {} : { cloneOf: r.cloneOf }),
        ...(r.facts === undefined ? {} : { facts: r.facts }),
      });
    } else if (r.facts) {
      // a later record (say after a restart) may restate the facts: the newest wins
      known.facts = r.facts;
    }
  }
  for (const g of guests.values()) {
    if (g.facts) continue;
    const seen = new Set<string>([g.node]);
    let parent = g.cloneOf === undefined ? undefined : guests.get(g.cloneOf);
    while (parent && !seen.has(parent.node)) {
      if (parent.facts) {
        g.facts = parent.facts;
        break;
      }
      seen.add(parent.node);
      parent = parent.cloneOf === undefined ? undefined : guests.get(parent.cloneOf);
    }
  }
  return guests;
}

/** An operation's completion with the invoke it answers (args often live only on the invoke). */
export interface Completion {
  invoke: OpRecord | undefined;
  done: OpRecord;
  args: Record<string, unknown>;
}

/**
 * Pairs every ok/fail/info op record with its invoke: like Jepsen's histories, a client process
 * has at most one operation outstanding, so a completion answers the last invoke of its process.
 */
export function completions(records: readonly HistoryRecord[]): Completion[] {
  const open = new Map<number, OpRecord>();
  const out: Completion[] = [];
  for (const r of records) {
    if (r.type !== "op") continue;
    if (r.phase === "invoke") {
      open.set(r.process, r);
      continue;
    }
    let invoke = open.get(r.process);
    if (invoke !== undefined && invoke.f === r.f && invoke.node === r.node) open.delete(r.process);
    else invoke = undefined;
    // One object shape for every completion; args merged only when both sides carry some.
    const args =
      invoke?.args && r.args ? { ...invoke.args, ...r.args } : (r.args ?? invoke?.args ?? {});
    out.push({ invoke, done: r, args });
  }
  return out;
}

/** The rng ops: their ok value is bytes handed to userspace. */
export const isRngOp = (f: OpRecord["f"]): boolean => f === "getrandom" || f === "read";
