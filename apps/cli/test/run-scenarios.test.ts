import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { libraryScenarios, SCENARIO_LIBRARY } from "../src/run/load-scenario.js";
import { forceDown } from "./helpers/cluster.js";
import { type VmrngResult, vmrng } from "./helpers/run-vmrng.js";

/**
 * Every scenario of tools/scenarios, run through the built CLI with seed 1, two at a time (the
 * CI machine has two cores): each must exit 0 with every checker failing exactly as declared
 * and every fault applied.
 */
const names = libraryScenarios();
const tmp = mkdtempSync(join(tmpdir(), "vmrng-scenarios-"));
const PARALLEL = 2;

const results = new Map<string, Promise<VmrngResult>>();
{
  let running = 0;
  const queue: (() => void)[] = [];
  const slot = () =>
    new Promise<void>((resolve) => {
      if (running < PARALLEL) {
        running++;
        resolve();
      } else queue.push(() => resolve());
    });
  const release = () => {
    const next = queue.shift();
    if (next) next();
    else running--;
  };
  for (const name of names)
    results.set(
      name,
      slot().then(() =>
        vmrng(["run", name, "--json", "--seed", "1", "--run-dir", join(tmp, name)], {
          timeoutMs: 90_000,
        }).finally(release),
      ),
    );
}

afterAll(async () => {
  for (const name of names) await forceDown(join(tmp, name));
  rmSync(tmp, { recursive: true, force: true });
});

describe(`the scenario library (${SCENARIO_LIBRARY})`, () => {
  it("has scenarios", () => expect(names.length).toBeGreaterThanOrEqual(9));

  for (const name of names)
    it(`${name} passes with seed 1`, async () => {
      const r = await results.get(name)!;
      const out = r.stdout.toString("utf8");
      let summary: {
        ok: boolean;
        faultErrors: string[];
        checkers: {
          name: string;
          ok: boolean;
          expected: boolean;
          violations: { message: string }[];
        }[];
      };
      try {
        summary = JSON.parse(out);
      } catch {
        throw new Error(`${name}: exit ${r.code}, no JSON summary; stderr:\n${r.stderr}`);
      }
      const failing = summary.checkers
        .filter((c) => c.ok === c.expected)
        .map((c) => `${c.name}: ${c.ok ? "held but declared to fail" : c.violations[0]?.message}`);
      expect(failing, `${name}: checkers not as declared`).toEqual([]);
      expect(summary.faultErrors, `${name}: faults not applied`).toEqual([]);
      expect(summary.ok).toBe(true);
      expect(r.code, r.stderr).toBe(0);
      expect(existsSync(join(tmp, name, "state.json")), "cluster left running").toBe(false);
    }, 600_000);
});
