import { ScenarioError } from "./errors.js";
import type { OpName } from "./history.js";
import type { FaultInput, MixEntry, Scenario } from "./scenario.js";

/**
 * The source of every draw the plan makes. The runner passes a SeededRandom from
 * @vmrng/faults made from the run's seed; anything with the same two methods will do.
 */
export interface PlanRandom {
  /** Uniform in [0, 1). */
  float(): number;
  /** Uniform integer in [0, n). */
  int(n: number): number;
}

/** One client operation of the plan; its `args` become the history's invoke `args`. */
export interface PlannedOp {
  kind: "op";
  /** Earliest start, ms from cluster-up (a busy client starts it when its previous op ends). */
  atMs: number;
  /**
   * The client process that runs it: load clients are 0…clients-1; each schedule step gets its
   * own process (clients + step index), so every process has one op outstanding at a time.
   */
  process: number;
  origin: "schedule" | "load";
  /** The schedule step it came from (origin "schedule"). */
  step?: number;
  f: OpName;
  /** The guest; absent when the load targets "guests": see `pick`. */
  vm?: string;
  /**
   * Load on "guests": uniform in [0, 1); the runner takes the running guests (clones included)
   * sorted by id and uses the one at floor(pick × count), so the choice is replayable.
   */
  pick?: number;
  args: Record<string, unknown>;
}

export interface PlannedFault {
  kind: "fault";
  atMs: number;
  step: number;
  fault: FaultInput;
  target: string;
  forMs?: number;
}

export interface PlannedWait {
  kind: "wait";
  atMs: number;
  step: number;
  event: string;
  node?: string;
  timeoutMs: number;
}

export type PlannedStep = PlannedOp | PlannedFault | PlannedWait;

/** A weighted draw: one float against the cumulative weights. */
function drawMix(mix: readonly MixEntry[], total: number, random: PlanRandom): MixEntry {
  let u = random.float() * total;
  for (const m of mix) {
    u -= m.weight;
    if (u < 0) return m;
  }
  return mix[mix.length - 1]!;
}

const mixArgs = (m: MixEntry): Record<string, unknown> =>
  m.op === "getrandom" ? { len: m.len, flags: m.flags } : { source: m.source, len: m.len };

function scheduleSteps(scenario: Scenario, firstProcess: number): PlannedStep[] {
  const out: PlannedStep[] = [];
  for (const s of scenario.schedule) {
    const process = firstProcess + s.index;
    const base = { atMs: s.atMs, step: s.index };
    if (s.kind === "fault") {
      out.push({
        ...base,
        kind: "fault",
        fault: s.fault,
        target: s.target,
        ...(s.forMs === undefined ? {} : { forMs: s.forMs }),
      });
      continue;
    }
    if (s.kind === "wait") {
      out.push({
        ...base,
        kind: "wait",
        event: s.event,
        ...(s.node === undefined ? {} : { node: s.node }),
        timeoutMs: s.timeoutMs,
      });
      continue;
    }
    const op = { ...base, kind: "op" as const, process, origin: "schedule" as const, vm: s.vm };
    switch (s.op) {
      case "getrandom":
      case "read": {
        const args =
          s.op === "getrandom" ? { len: s.len, flags: s.flags } : { source: s.source, len: s.len };
        for (let k = 0; k < s.repeat; k++)
          out.push({ ...op, atMs: s.atMs + k * s.everyMs, f: s.op, args: { ...args } });
        break;
      }
      case "clone":
        out.push({
          ...op,
          f: "clone",
          args: { ids: [...s.ids], ...(s.snapshot === undefined ? {} : { snapshot: s.snapshot }) },
        });
        break;
      case "snapshot":
        out.push({
          ...op,
          f: "snapshot",
          args: s.snapshot === undefined ? {} : { snapshot: s.snapshot },
        });
        break;
      case "restore":
        out.push({ ...op, f: "restore", args: { snapshot: s.snapshot } });
        break;
      case "kexec":
      case "status":
        out.push({ ...op, f: s.op, args: {} });
        break;
    }
  }
  return out;
}

/**
 * The load as individual ops: arrivals of a Poisson process at `rate` ops/s over the run
 * (exponential gaps), each given to a uniformly drawn client, a weighted op from the mix and
 * a target. Draw order per op is fixed (gap, client, mix, target) so a seed fixes the plan.
 */
function loadOps(scenario: Scenario, random: PlanRandom): PlannedOp[] {
  const load = scenario.load;
  if (!load) return [];
  const meanGapMs = 1000 / load.rate;
  const totalWeight = load.mix.reduce((a, m) => a + m.weight, 0);
  const out: PlannedOp[] = [];
  let t = 0;
  for (;;) {
    t += -Math.log(1 - random.float()) * meanGapMs;
    const atMs = Math.floor(t);
    if (atMs >= scenario.durationMs) break;
    const process = random.int(load.clients);
    const m = drawMix(load.mix, totalWeight, random);
    const target =
      load.targets === "guests"
        ? { pick: random.float() }
        : { vm: load.targets[random.int(load.targets.length)]! };
    out.push({ kind: "op", atMs, process, origin: "load", f: m.op, ...target, args: mixArgs(m) });
  }
  return out;
}

/**
 * The timed plan of a run: the explicit schedule (repeats unrolled) and the load as individual
 * ops, sorted by time (schedule steps first at equal times, then in order of generation).
 * Same scenario and same random sequence → the same plan. `seed` is the seed `random` was
 * made from; it must be a u32 (the plan is only replayable from a seed that can be printed).
 */
export function expandSchedule(
  scenario: Scenario,
  seed: number,
  random: PlanRandom,
): PlannedStep[] {
  if (!Number.isInteger(seed) || seed < 0 || seed > 0xffff_ffff)
    throw new ScenarioError(
      scenario.source,
      "seed",
      `expected an integer in [0, 2^32) (got ${seed})`,
    );
  const clients = scenario.load?.clients ?? 0;
  const all = [...scheduleSteps(scenario, clients), ...loadOps(scenario, random)];
  return all
    .map((s, order) => ({ s, order }))
    .sort((a, b) => a.s.atMs - b.s.atMs || a.order - b.order)
    .map(({ s }) => s);
}
