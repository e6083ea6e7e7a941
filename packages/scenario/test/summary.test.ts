import { describe, expect, it } from "vitest";
import { runCheckers } from "../src/checkers/index.js";
import { computeStats, renderSummary, summaryJson } from "../src/summary.js";
import { block, HistoryBuilder } from "./history-builder.js";

function forkOffHistory() {
  const h = new HistoryBuilder();
  h.run(0, "start", "fork-off", 42);
  h.guest(5, "vm-1", { vmgenid: "off" });
  h.ready(10, "vm-1");
  h.run(20, "cluster-up", "fork-off", 42);
  h.guest(100, "vm-1-c1", null, { cloneOf: "vm-1" });
  h.fault(150, "start", "latency", "hv1");
  h.fault(160, "error", "rdrand.stuck", "vm-9", "E_TARGET: no node vm-9");
  const a = h.rng(200, "vm-1", block(0x9f3a0000));
  h.invoke(205, 1, "getrandom", "vm-1-c1", { len: 32, flags: 1 });
  h.fail(206, 1, "getrandom", "vm-1-c1", "EAGAIN");
  const b = h.rng(210, "vm-1-c1", block(0x9f3a0000));
  h.run(10_250, "end", "fork-off", 42);
  return { records: h.records, a, b };
}

describe("summaries", () => {
  it("computeStats counts completions per op and fault outcomes", () => {
    const { records } = forkOffHistory();
    const stats = computeStats(records, { skippedLines: 1, historyPath: "run/history.jsonl" });
    expect(stats).toEqual({
      scenario: "fork-off",
      seed: 42,
      durationMs: 10_250,
      ops: { getrandom: { ok: 2, fail: 1, info: 0 } },
      faults: { applied: 1, stopped: 0, errors: 1 },
      skippedLines: 1,
      historyPath: "run/history.jsonl",
    });
  });

  it("renders PASS/FAIL per checker with expected marks and the offending history lines", () => {
    const { records, a, b } = forkOffHistory();
    const verdict = runCheckers(records, {}, ["unique-blocks", "unique-boot-seeds"]);
    const text = renderSummary(verdict, computeStats(records), records, { color: false });
    const lines = text.split("\n");
    expect(lines[0]).toBe("scenario fork-off  seed 42  duration 10.25s");
    expect(lines).toContain("operations 3 (ok/fail/info): getrandom 2/1/0");
    expect(lines).toContain("faults     applied 1, removed 0, errors 1");
    expect(lines).toContain("  FAIL unique-blocks 1 violation(s)  (expected)");
    expect(lines).toContain(`           #${a} +0.200s op getrandom vm-1 ok 32B 9f3a…`);
    expect(lines).toContain(`           #${b} +0.210s op getrandom vm-1-c1 ok 32B 9f3a…`);
    expect(lines).toContain("  PASS ready-by-deadline");
    expect(lines).toContain("  PASS unique-boot-seeds  expected to fail, but held");
    expect(lines).toContain("FAIL declared to fail but held: unique-boot-seeds");
    expect(text).not.toContain("\x1b[");
    const colored = renderSummary(verdict, computeStats(records), records, { color: true });
    expect(colored).toContain("\x1b[32mPASS\x1b[0m ready-by-deadline");
  });

  it("says PASS when what failed is what was declared", () => {
    const { records } = forkOffHistory();
    const verdict = runCheckers(records, {}, ["unique-blocks"]);
    const text = renderSummary(verdict, computeStats(records), records, { color: false });
    expect(text.trimEnd().split("\n").at(-1)).toBe(
      "PASS every invariant held except the 1 declared to fail, which did",
    );
  });

  it("summaryJson has the documented stable fields", () => {
    const { records, a, b } = forkOffHistory();
    const verdict = runCheckers(records, {});
    const json = summaryJson(verdict, computeStats(records), records);
    expect(Object.keys(json)).toEqual([
      "version",
      "ok",
      "scenario",
      "seed",
      "durationMs",
      "skippedLines",
      "operations",
      "faults",
      "checkers",
      "unexpectedViolations",
      "missingExpected",
    ]);
    expect(json.ok).toBe(false);
    expect(json.unexpectedViolations).toEqual(["unique-blocks"]);
    const ub = json.checkers[0]!;
    expect(ub.name).toBe("unique-blocks");
    expect(ub.violations[0]!.seqs).toEqual([a, b]);
    expect(ub.violations[0]!.lines).toHaveLength(2);
    expect(JSON.parse(JSON.stringify(json))).toEqual(json);
  });
});
