import type { ControlClient } from "@vmrng/cluster/control";
import type { OpName, PlannedOp } from "@vmrng/scenario";
import type { GuestTracker } from "./guest-tracker.js";
import type { HistoryWriter } from "./history-writer.js";
import { type Outcome, outcomeOf } from "./op-outcome.js";

const hex = (b: Uint8Array): string => Buffer.from(b).toString("hex");

/** What a finished call hands back to the history besides its outcome. */
interface Done {
  value?: string;
  args?: Record<string, unknown>;
}

/** One op in flight: settled by its reply, or declared indeterminate when the run ends first. */
export interface InFlight {
  readonly promise: Promise<void>;
  /** Records `info` (the run ended before the reply) unless it already completed. */
  abandon(error: string): void;
}

/**
 * Runs client operations against the cluster and writes their invoke and completion records.
 * Each op is one ControlClient call on the shared connection (requests are multiplexed by id);
 * the history pairs a completion with its invoke by `process`, and every process has at most
 * one op outstanding, so the pairs are unambiguous.
 */
export class OpRunner {
  readonly inFlight = new Set<InFlight>();

  constructor(
    private readonly client: ControlClient,
    private readonly history: HistoryWriter,
    private readonly guests: GuestTracker,
    /** How long a call may wait for its reply (blocking getrandom waits for READY). */
    private readonly timeoutMs: () => number,
  ) {}

  /** Runs `op` on guest `vm`; resolves once it completed or was abandoned. */
  run(op: PlannedOp, vm: string): Promise<void> {
    const { process, f } = op;
    this.history.append({ type: "op", process, f, node: vm, phase: "invoke", args: op.args });
    let settled = false;
    const finish = (outcome: Outcome, done: Done = {}): void => {
      if (settled) return;
      settled = true;
      this.history.append({
        type: "op",
        process,
        f,
        node: vm,
        phase: outcome.phase,
        ...(done.args ? { args: done.args } : {}),
        ...(done.value === undefined ? {} : { value: done.value }),
        ...(outcome.phase === "ok" ? {} : { error: outcome.error }),
      });
    };
    const entry: InFlight = {
      promise: this.#call(f, vm, op.args)
        .then((done) => finish({ phase: "ok" }, done))
        .catch((err: unknown) => finish(outcomeOf(err)))
        .finally(() => this.inFlight.delete(entry)),
      abandon: (error) =>
        finish({ phase: "info", error, message: "no reply by the end of the run" }),
    };
    this.inFlight.add(entry);
    return entry.promise;
  }

  async #call(f: OpName, vm: string, args: Record<string, unknown>): Promise<Done> {
    const c = this.client;
    const timeoutMs = Math.max(1000, this.timeoutMs());
    switch (f) {
      case "getrandom":
        return {
          value: hex(await c.getrandom(vm, num(args.len, 32), num(args.flags, 0), { timeoutMs })),
        };
      case "read": {
        const source = args.source === "random" ? "random" : "urandom";
        return { value: hex(await c.read(vm, source, num(args.len, 32), { timeoutMs })) };
      }
      case "clone":
        return this.#clone(vm, args);
      case "kexec":
        await c.kexec(vm);
        return {};
      case "snapshot": {
        const name = typeof args.snapshot === "string" ? args.snapshot : undefined;
        const r = await c.snapshot(vm, name);
        return { args: { snapshot: r.snapshot } };
      }
      case "restore":
        await c.restoreSnapshot(vm, String(args.snapshot));
        return {};
      case "status": {
        const [s] = await c.status([vm]);
        return s ? { args: { state: s.state, crng: s.crng?.init ?? "EMPTY" } } : {};
      }
    }
  }

  /**
   * `count` clones of `vm` from ONE snapshot (taken now unless the step names one), so the
   * clones start from the same state, as a fleet restored from one image does. Each clone gets
   * its `node` record (parent hypervisor, cloneOf) as soon as it exists.
   */
  async #clone(vm: string, args: Record<string, unknown>): Promise<Done> {
    const ids = Array.isArray(args.ids) ? args.ids.map(String) : [];
    let snapshot = typeof args.snapshot === "string" ? args.snapshot : undefined;
    const made: string[] = [];
    for (const id of ids) {
      const r = await this.client.clone(vm, id, snapshot);
      snapshot = r.snapshot;
      made.push(r.vm);
      this.guests.addClone(r.vm, vm);
      const parent = this.guests.hypervisorOf(r.vm);
      this.history.append({
        type: "node",
        node: r.vm,
        role: "guest",
        ...(parent ? { parent } : {}),
        cloneOf: vm,
      });
    }
    return { value: made.join(","), ...(snapshot ? { args: { snapshot } } : {}) };
  }
}

const num = (v: unknown, d: number): number => (typeof v === "number" ? v : d);
