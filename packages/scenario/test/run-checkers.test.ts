import { describe, expect, it } from "vitest";
import { CHECKER_NAMES, runCheckers } from "../src/checkers/index.js";
import { ScenarioSchema } from "../src/schema.js";
import { block, HistoryBuilder } from "./history-builder.js";

/** A fork with vmgenid off: parent and clone return the same block. */
function duplicateHistory() {
  const h = new HistoryBuilder();
  h.guest(0, "vm-1", { vmgenid: "off" });
  h.ready(10, "vm-1");
  h.guest(100, "vm-1-c1", null, { cloneOf: "vm-1" });
  h.rng(200, "vm-1", block(1));
  h.rng(210, "vm-1-c1", block(1));
  return h.records;
}

function cleanHistory() {
  const h = new HistoryBuilder();
  h.guest(0, "vm-1");
  h.ready(10, "vm-1");
  h.rng(200, "vm-1", block(1));
  return h.records;
}

describe("runCheckers and expected violations", () => {
  it("runs the five checkers, in order", () => {
    const v = runCheckers(cleanHistory(), {});
    expect(v.results.map((r) => r.checker)).toEqual([
      "unique-blocks",
      "ready-by-deadline",
      "coco-rdrand-panics",
      "unique-boot-seeds",
      "vmfork-delivered",
    ]);
    expect(CHECKER_NAMES).toEqual(v.results.map((r) => r.checker));
    expect(v).toMatchObject({ ok: true, unexpectedViolations: [], missingExpected: [] });
  });

  it("the scenario schema accepts exactly the checker names", () => {
    const items = ScenarioSchema.properties.expect.properties.violations.items as unknown as {
      anyOf: { const: string }[];
    };
    expect(items.anyOf.map((s) => s.const)).toEqual(CHECKER_NAMES);
  });

  it("declared and happened → ok", () => {
    const v = runCheckers(duplicateHistory(), {}, ["unique-blocks"]);
    expect(v.ok).toBe(true);
    const ub = v.results.find((r) => r.checker === "unique-blocks")!;
    expect(ub).toMatchObject({ ok: false, expected: true });
    expect(v.unexpectedViolations).toEqual([]);
    expect(v.missingExpected).toEqual([]);
  });

  it("declared but did not happen → not ok", () => {
    const v = runCheckers(cleanHistory(), {}, ["unique-blocks"]);
    expect(v.ok).toBe(false);
    expect(v.missingExpected).toEqual(["unique-blocks"]);
    expect(v.unexpectedViolations).toEqual([]);
  });

  it("happened but not declared → not ok", () => {
    const v = runCheckers(duplicateHistory(), {});
    expect(v.ok).toBe(false);
    expect(v.unexpectedViolations).toEqual(["unique-blocks"]);
    expect(v.missingExpected).toEqual([]);
  });

  it("a declared set must match exactly: one extra failure breaks it", () => {
    const h = new HistoryBuilder();
    h.guest(0, "vm-1", { vmgenid: "off" });
    h.guest(0, "vm-2"); // never READY
    h.ready(10, "vm-1");
    h.guest(100, "vm-1-c1", null, { cloneOf: "vm-1" });
    h.rng(200, "vm-1", block(1));
    h.rng(210, "vm-1-c1", block(1));
    const v = runCheckers(h.records, {}, ["unique-blocks"]);
    expect(v.ok).toBe(false);
    expect(v.unexpectedViolations).toEqual(["ready-by-deadline"]);
    expect(runCheckers(h.records, {}, ["ready-by-deadline", "unique-blocks"]).ok).toBe(true);
  });
});
