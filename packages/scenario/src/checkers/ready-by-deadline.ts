import type { HistoryRecord, OpRecord } from "../history.js";
import { guestsOf, isRngOp } from "./guests.js";
import {
  type CheckContext,
  type CheckResult,
  DEFAULT_READY_DEADLINE_MS,
  result,
  type Violation,
  when,
} from "./types.js";

export const READY_BY_DEADLINE = "ready-by-deadline";

/** getrandom(2) flag that skips the readiness wait (include/uapi/linux/random.h). */
const GRND_INSECURE = 4;

/**
 * Whether a completed op had to wait for crng_ready(): SYSCALL_DEFINE3(getrandom) in
 * drivers/char/random.c blocks (or returns EAGAIN with GRND_NONBLOCK) unless GRND_INSECURE is
 * set, so bytes from flags 0, GRND_RANDOM or GRND_NONBLOCK before READY are a bug; /dev/random
 * is getrandom(0), /dev/urandom is GRND_INSECURE.
 */
function needsReady(f: string, args: Record<string, unknown>): boolean {
  if (f === "getrandom") {
    const flags = typeof args.flags === "number" ? args.flags : 0;
    return (flags & GRND_INSECURE) === 0;
  }
  return f === "read" && args.source === "random";
}

interface Readiness {
  ready: boolean;
  /** When ready first became true (an init-state READY, or inherited by a clone/restore). */
  readyAt?: number;
  readySeq?: number;
  /** The first vm.state "starting" of this guest: its boot started here. */
  startAt?: number;
  startSeq?: number;
  /** Every init-state → READY event, for the same-millisecond tie check. */
  readyEvents: { seq: number; at: number }[];
}

/**
 * Every guest whose facts say `expect: ready` reaches READY (`init-state` to READY) within
 * deadlineMs of its start (its first vm.state "starting", else its `node` record); and no op
 * that must wait for READY completes ok before the guest's READY. A clone or a restored guest
 * starts as ready as its parent was then (its CRNG is the parent's); a boot (vm.state
 * "starting", an init-state below READY) makes the guest unready again.
 */
export function readyByDeadline(records: readonly HistoryRecord[], ctx: CheckContext): CheckResult {
  const deadline = ctx.deadlineMs ?? DEFAULT_READY_DEADLINE_MS;
  const guests = guestsOf(records);
  const states = new Map<string, Readiness>();
  const stateOf = (node: string): Readiness => {
    let s = states.get(node);
    if (!s) {
      s = { ready: false, readyEvents: [] };
      states.set(node, s);
    }
    return s;
  };
  const becomeReady = (s: Readiness, r: HistoryRecord) => {
    s.ready = true;
    if (s.readyAt === undefined) {
      s.readyAt = r.at;
      s.readySeq = r.seq;
    }
  };
  const inherit = (node: string, from: string, r: HistoryRecord) => {
    if (stateOf(from).ready) becomeReady(stateOf(node), r);
  };

  // Ops that completed while their guest was not ready, judged after the pass.
  const early: {
    seq: number;
    at: number;
    node: string;
    f: string;
    bytes: number;
    flags: string;
  }[] = [];
  // A completion answers its process's last invoke (see completions()); args live there.
  const invokes = new Map<number, OpRecord>();

  for (const r of records) {
    if (r.type === "node" && r.role === "guest" && r.cloneOf !== undefined) {
      inherit(r.node, r.cloneOf, r);
    } else if (r.type === "event") {
      const s = stateOf(r.node);
      if (r.kind === "init-state") {
        if (r.data?.to === "READY") {
          becomeReady(s, r);
          s.readyEvents.push({ seq: r.seq, at: r.at });
        } else s.ready = false;
      } else if (r.kind === "vm.state" && r.data?.state === "starting") {
        s.ready = false;
        if (s.startAt === undefined) {
          s.startAt = r.at;
          s.startSeq = r.seq;
        }
      } else if (r.kind === "vm.restore" && typeof r.data?.from === "string") {
        inherit(r.node, r.data.from, r);
      }
    } else if (r.type === "op" && r.phase === "invoke") {
      invokes.set(r.process, r);
    } else if (r.type === "op" && r.phase === "ok" && isRngOp(r.f)) {
      const invoke = invokes.get(r.process);
      const args = r.args ?? (invoke?.f === r.f && invoke.node === r.node ? invoke.args : {}) ?? {};
      if (!needsReady(r.f, args) || stateOf(r.node).ready) continue;
      early.push({
        seq: r.seq,
        at: r.at,
        node: r.node,
        f: r.f,
        bytes: (r.value?.length ?? 0) >> 1,
        flags: r.f === "getrandom" ? `flags=${args.flags ?? 0}` : `source=${args.source}`,
      });
    }
  }

  const violations: Violation[] = [];
  for (const g of guests.values()) {
    if (g.facts?.expect !== "ready") continue;
    const s = stateOf(g.node);
    const startAt = s.startAt ?? g.record.at;
    const startSeq = s.startSeq ?? g.record.seq;
    const by = when(startAt + deadline);
    if (s.readyAt === undefined) {
      violations.push({
        message: `${g.node} (expect ready) never reached READY: started at ${when(startAt)}, deadline ${deadline} ms (${by})`,
        seqs: [startSeq],
      });
    } else if (s.readyAt - startAt > deadline) {
      violations.push({
        message: `${g.node} (expect ready) reached READY at ${when(s.readyAt)}, ${s.readyAt - startAt} ms after its start at ${when(startAt)}: deadline ${deadline} ms (${by})`,
        seqs: [startSeq, s.readySeq!],
      });
    }
  }

  // Group the early outputs per guest; an op whose guest turned READY in the same
  // millisecond (two streams, one clock) is not early.
  const perGuest = new Map<string, typeof early>();
  for (const e of early) {
    const next = stateOf(e.node).readyEvents.find((x) => x.seq > e.seq);
    if (next && next.at <= e.at) continue;
    const list = perGuest.get(e.node);
    if (list) list.push(e);
    else perGuest.set(e.node, [e]);
  }
  for (const [node, list] of perGuest) {
    const first = list[0]!;
    const next = stateOf(node).readyEvents.find((x) => x.seq > first.seq);
    const readyText = next ? `READY only at ${when(next.at)} (#${next.seq})` : "never READY after";
    violations.push({
      message:
        `${node} returned ${first.bytes} bytes from ${first.f}(${first.flags}) at ${when(first.at)} before READY; ${readyText}` +
        (list.length > 1 ? `; ${list.length} such ops` : ""),
      seqs: [...list.map((e) => e.seq), ...(next ? [next.seq] : [])].sort((a, b) => a - b),
    });
  }
  return result(READY_BY_DEADLINE, violations);
}
