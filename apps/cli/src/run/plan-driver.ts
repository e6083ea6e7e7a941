import type { ValidFault } from "@vmrng/faults";
import type { PlannedOp, PlannedStep, PlannedWait } from "@vmrng/scenario";
import type { EventRecorder } from "./event-recorder.js";
import type { FaultRunner } from "./fault-runner.js";
import type { GuestTracker } from "./guest-tracker.js";
import type { HistoryWriter } from "./history-writer.js";
import type { OpRunner } from "./op-runner.js";

/** How long in-flight ops may take to answer once the run's duration is over. */
export const SETTLE_MS = 5000;

/** Ops that change a guest's life: later schedule steps wait for them (a clone must exist first). */
const LIFECYCLE = new Set(["clone", "kexec", "snapshot", "restore"]);

export interface DriverDeps {
  history: HistoryWriter;
  events: EventRecorder;
  guests: GuestTracker;
  ops: OpRunner;
  faults: FaultRunner;
  /** The validated fault of each schedule step, by step index. */
  faultSteps: ReadonlyMap<number, ValidFault>;
  durationMs: number;
  /** Ends the run early (Ctrl-C): sleeps return, no new op starts. */
  signal: AbortSignal;
}

/** Resolves after `ms`, or at once when `signal` aborts. */
function sleep(ms: number, signal: AbortSignal): Promise<void> {
  if (ms <= 0 || signal.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(t);
      signal.removeEventListener("abort", done);
      resolve();
    };
    const t = setTimeout(done, ms);
    signal.addEventListener("abort", done, { once: true });
  });
}

/**
 * Executes a plan on wall-clock time from cluster-up (`atMs` is an op's earliest start):
 * - each load client is a loop over its own ops, one outstanding at a time;
 * - the schedule is one lane in plan order: rng ops and status run on their step's own process
 *   without holding the lane; clone, kexec, snapshot, restore, faults and waits hold it until
 *   they are done, so a step that names a clone finds it made;
 * - at the end of the duration no new op starts, faults still armed are cleared, and in-flight
 *   ops get SETTLE_MS to answer before they are recorded as `info` (outcome unknown).
 */
export class PlanDriver {
  #upAt = 0;
  #ending = false;
  readonly waitTimeouts: string[] = [];
  readonly #chains = new Map<number, Promise<void>>();
  readonly #end = new AbortController();
  /** Aborts when the duration is over or the run is interrupted: lanes and waits stop. */
  readonly #stop: AbortSignal;

  constructor(private readonly d: DriverDeps) {
    this.#stop = AbortSignal.any([d.signal, this.#end.signal]);
  }

  /** ms since cluster-up. */
  #now(): number {
    return Date.now() - this.#upAt;
  }

  #over(): boolean {
    return this.#ending || this.d.signal.aborted || this.#now() >= this.d.durationMs;
  }

  /** Runs the whole plan; resolves once the run is over and settled. */
  async run(plan: readonly PlannedStep[]): Promise<void> {
    this.#upAt = Date.now();
    const load = new Map<number, PlannedOp[]>();
    const schedule: PlannedStep[] = [];
    for (const s of plan) {
      if (s.kind === "op" && s.origin === "load") {
        const list = load.get(s.process) ?? [];
        list.push(s);
        load.set(s.process, list);
      } else schedule.push(s);
    }
    const lanes = [
      ...[...load.values()].map((ops) => this.#loadLoop(ops)),
      this.#scheduleLane(schedule),
    ];
    void Promise.allSettled(lanes);
    await sleep(this.d.durationMs - this.#now(), this.d.signal);
    this.#ending = true;
    this.#end.abort();
    await this.d.faults.stopAll();
    await this.#settle(this.d.signal.aborted ? 0 : SETTLE_MS);
  }

  /** Gives in-flight ops `ms` to answer, then records the rest as indeterminate. */
  async #settle(ms: number): Promise<void> {
    const pending = [...this.d.ops.inFlight];
    if (pending.length === 0) return;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      Promise.allSettled(pending.map((p) => p.promise)),
      new Promise<void>((r) => {
        timer = setTimeout(r, ms);
      }),
    ]);
    clearTimeout(timer);
    for (const p of this.d.ops.inFlight) p.abandon("E_TIMEOUT");
  }

  async #loadLoop(ops: readonly PlannedOp[]): Promise<void> {
    for (const op of ops) {
      await sleep(op.atMs - this.#now(), this.#stop);
      if (this.#over()) return;
      const vm = this.#targetOf(op);
      if (vm === undefined) continue;
      await this.d.ops.run(op, vm);
    }
  }

  /** The load op's guest: as planned, or the running guest its `pick` lands on. */
  #targetOf(op: PlannedOp): string | undefined {
    if (op.vm !== undefined) return op.vm;
    const running = this.d.guests.runningGuests();
    if (running.length === 0) return undefined;
    return running[Math.min(running.length - 1, Math.floor((op.pick ?? 0) * running.length))];
  }

  async #scheduleLane(steps: readonly PlannedStep[]): Promise<void> {
    for (const s of steps) {
      await sleep(s.atMs - this.#now(), this.#stop);
      if (this.#over()) return;
      if (s.kind === "wait") await this.#wait(s);
      else if (s.kind === "fault") await this.#fault(s.step, s.forMs);
      else if (LIFECYCLE.has(s.f)) await this.#onProcess(s);
      else void this.#onProcess(s);
    }
  }

  /** Runs a schedule op after the previous op of its process (a repeat runs one at a time). */
  #onProcess(op: PlannedOp): Promise<void> {
    const prev = this.#chains.get(op.process) ?? Promise.resolve();
    const next = prev.then(async () => {
      await sleep(op.atMs - this.#now(), this.#stop);
      if (this.#over() || op.vm === undefined) return;
      await this.d.ops.run(op, op.vm);
    });
    this.#chains.set(op.process, next);
    return next;
  }

  async #fault(step: number, forMs: number | undefined): Promise<void> {
    const fault = this.d.faultSteps.get(step);
    if (!fault) return;
    const armed = await this.d.faults.start(fault);
    if (!armed || forMs === undefined) return;
    // The removal does not hold the lane: later steps run while the fault is on.
    void sleep(forMs, this.#stop).then(() => {
      if (!this.#ending) return this.d.faults.stop(armed);
    });
  }

  /** Holds the schedule until a matching event is recorded (since the step's time) or timeout. */
  async #wait(w: PlannedWait): Promise<void> {
    const since = this.#upAt - this.d.history.startedAt + w.atMs;
    const matches = (kind: string, node: string) =>
      kind === w.event && (w.node === undefined || node === w.node);
    const seen = this.d.history.records.some(
      (r) => r.type === "event" && r.at >= since && matches(r.kind, r.node),
    );
    if (seen) return;
    const ok = await new Promise<boolean>((resolve) => {
      const stop = (result: boolean) => {
        off();
        clearTimeout(t);
        this.#stop.removeEventListener("abort", onAbort);
        resolve(result);
      };
      const onAbort = () => stop(false);
      const off = this.d.events.onEvent((e) => {
        if (matches(e.kind, e.node)) stop(true);
      });
      const t = setTimeout(() => stop(false), w.timeoutMs);
      this.#stop.addEventListener("abort", onAbort, { once: true });
    });
    if (!ok && !this.#stop.aborted)
      this.waitTimeouts.push(
        `schedule[${w.step}]: no ${w.event} event${w.node ? ` on ${w.node}` : ""} within ${w.timeoutMs} ms`,
      );
  }
}
