import { resolveTargets, SeededRandom } from "@vmrng/faults";
import { describe, expect, it } from "vitest";
import { clusterNodes } from "../src/run/cluster-facts.js";
import { libraryScenarios, loadScenario } from "../src/run/load-scenario.js";
import { runPlan, targetRandom } from "../src/run/plan.js";
import { checkScenarioAgainstCluster } from "../src/run/validate-faults.js";

describe("vmrng run: the plan", () => {
  it("is the same for the same seed and differs for another (fork-notify)", async () => {
    const { scenario } = await loadScenario("fork-notify");
    const a = runPlan(scenario, 7);
    const b = runPlan(scenario, 7);
    expect(a.length).toBeGreaterThan(50);
    expect(b).toEqual(a);
    const c = runPlan(scenario, 8);
    expect(c.map((s) => s.atMs)).not.toEqual(a.map((s) => s.atMs));
    // the schedule's own steps are fixed by the scenario, whatever the seed
    const sched = (p: typeof a) => p.filter((s) => s.kind !== "op" || s.origin === "schedule");
    expect(sched(c)).toEqual(sched(a));
  });

  it("draws random fault targets from the seed's own stream: same seed, same victims", async () => {
    const { cluster } = await loadScenario("fork-off");
    const nodes = clusterNodes(cluster);
    const draw = (seed: number) => {
      const r = targetRandom(seed);
      return Array.from({ length: 8 }, () => resolveTargets("random:guest", nodes, r, "kill")[0]);
    };
    expect(draw(5)).toEqual(draw(5));
    const all = new Set([1, 2, 3, 4, 5, 6].flatMap(draw));
    expect(all).toEqual(new Set(["vm-1", "vm-2"]));
    // the targets stream is not the plan stream
    expect(targetRandom(5).float()).not.toBe(new SeededRandom(5).fork("plan").float());
  });

  it("validates every library scenario and its faults without starting anything", async () => {
    const names = libraryScenarios();
    expect(names).toEqual(
      expect.arrayContaining([
        "boot-starvation",
        "coco-broken-rdrand",
        "fork-counter",
        "fork-notify",
        "fork-off",
        "hostile-virtio",
        "hypervisor-killed",
        "kexec-chain",
        "partition-host-hypervisor",
      ]),
    );
    for (const name of names) {
      const { scenario, cluster } = await loadScenario(name);
      expect(scenario.description.length, name).toBeGreaterThan(100);
      expect(scenario.durationMs, name).toBeLessThanOrEqual(10_000);
      checkScenarioAgainstCluster(scenario, cluster);
    }
  });
});
