import { describe, expect, it } from "vitest";
import { ScenarioError } from "../src/errors.js";
import { parseScenarioYaml, validateScenario } from "../src/scenario.js";
import { expandSchedule, type PlannedOp } from "../src/schedule.js";
import { FORK_NOTIFY_YAML } from "./fixtures.js";
import { testRandom } from "./random-double.js";

const scenario = parseScenarioYaml(FORK_NOTIFY_YAML, "fork-notify.yaml");
const loadOf = (plan: ReturnType<typeof expandSchedule>) =>
  plan.filter((s): s is PlannedOp => s.kind === "op" && s.origin === "load");

describe("expandSchedule", () => {
  it("the same seed and scenario give the identical plan", () => {
    const a = expandSchedule(scenario, 1, testRandom(1));
    const b = expandSchedule(parseScenarioYaml(FORK_NOTIFY_YAML, "again.yaml"), 1, testRandom(1));
    expect(a).toEqual(b);
    expect(JSON.stringify(a)).toBe(JSON.stringify(b));
  });

  it("a different seed gives a different load plan", () => {
    const a = loadOf(expandSchedule(scenario, 1, testRandom(1)));
    const b = loadOf(expandSchedule(scenario, 2, testRandom(2)));
    expect(a).not.toEqual(b);
    expect(a.map((s) => s.atMs)).not.toEqual(b.map((s) => s.atMs));
  });

  it("unrolls the explicit schedule with its own process per step", () => {
    const plan = expandSchedule(scenario, 1, testRandom(1)).filter(
      (s) => s.kind !== "op" || s.origin === "schedule",
    );
    const clients = 4;
    expect(plan.map((s) => [s.atMs, s.kind === "op" ? s.f : s.kind])).toEqual([
      [1000, "clone"],
      [2000, "getrandom"],
      [2100, "getrandom"],
      [2200, "getrandom"],
      [2300, "getrandom"],
      [2400, "getrandom"],
      [3000, "kexec"],
      [3000, "fault"],
      [4000, "snapshot"],
      [8000, "wait"],
    ]);
    expect(plan[0]).toEqual({
      kind: "op",
      atMs: 1000,
      step: 0,
      process: clients + 0,
      origin: "schedule",
      vm: "vm-1",
      f: "clone",
      args: { ids: ["vm-1-c1", "vm-1-c2"] },
    });
    expect(plan[1]).toMatchObject({
      process: clients + 1,
      vm: "vm-1-c1",
      args: { len: 32, flags: 0 },
    });
    expect(plan[7]).toEqual({
      kind: "fault",
      atMs: 3000,
      step: 3,
      fault: "latency:latencyMs=200",
      target: "hv1",
      forMs: 2000,
    });
  });

  it("the load is about rate × duration ops, on valid clients, weighted by the mix, in time order", () => {
    const plan = expandSchedule(scenario, 7, testRandom(7));
    const load = loadOf(plan);
    // 50 ops/s for 10 s: Poisson with mean 500 (sd ≈ 22)
    expect(load.length).toBeGreaterThan(400);
    expect(load.length).toBeLessThan(600);
    for (const op of load) {
      expect(op.process).toBeGreaterThanOrEqual(0);
      expect(op.process).toBeLessThan(4);
      expect(op.atMs).toBeGreaterThanOrEqual(0);
      expect(op.atMs).toBeLessThan(10_000);
      expect(op.vm).toBeUndefined();
      expect(op.pick).toBeGreaterThanOrEqual(0);
      expect(op.pick).toBeLessThan(1);
    }
    const reads = load.filter((o) => o.f === "read");
    expect(reads[0]!.args).toEqual({ source: "urandom", len: 64 });
    // weight 2 of 10
    expect(reads.length / load.length).toBeGreaterThan(0.12);
    expect(reads.length / load.length).toBeLessThan(0.28);
    const times = plan.map((s) => s.atMs);
    expect(times).toEqual([...times].sort((x, y) => x - y));
  });

  it("a target list draws guests from it", () => {
    const s = validateScenario(
      {
        name: "t",
        clusterFile: "c.yaml",
        duration: "2s",
        load: { rate: 100, targets: ["vm-1", "vm-2"] },
      },
      "t",
    );
    const load = loadOf(expandSchedule(s, 3, testRandom(3)));
    expect(new Set(load.map((o) => o.vm))).toEqual(new Set(["vm-1", "vm-2"]));
    expect(load.every((o) => o.pick === undefined && o.process === 0)).toBe(true);
    expect(load[0]!.args).toEqual({ len: 32, flags: 0 });
  });

  it("draws nothing without load, and refuses a seed that is no u32", () => {
    const s = validateScenario({ name: "t", clusterFile: "c.yaml" }, "t");
    const r = testRandom(1);
    expect(expandSchedule(s, 1, r)).toEqual([]);
    expect(r.draws).toBe(0);
    expect(() => expandSchedule(s, -1, r)).toThrow(ScenarioError);
    expect(() => expandSchedule(s, 2 ** 32, r)).toThrow("seed: expected an integer in [0, 2^32)");
  });
});
