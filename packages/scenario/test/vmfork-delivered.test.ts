import { describe, expect, it } from "vitest";
import { vmforkDelivered } from "../src/checkers/vmfork-delivered.js";
import { HistoryBuilder } from "./history-builder.js";

describe("vmfork-delivered", () => {
  it("passes when every vmgenid clone got its vmfork (even recorded before its node record)", () => {
    const h = new HistoryBuilder();
    h.guest(0, "vm-1", { vmgenid: "notify" });
    h.guest(0, "vm-2", { vmgenid: "counter" });
    h.guest(0, "vm-3", { vmgenid: "off" });
    h.invoke(1000, 5, "clone", "vm-1", { ids: ["vm-1-c1"] });
    h.event(1010, "vm-1-c1", "vmfork", { source: "vmgenid" });
    h.ok(1020, 5, "clone", "vm-1", "vm-1-c1");
    h.guest(1020, "vm-1-c1", { vmgenid: "notify" }, { cloneOf: "vm-1" });
    h.guest(1100, "vm-2-c1", { vmgenid: "counter" }, { cloneOf: "vm-2" });
    h.event(1101, "vm-2-c1", "vmfork", { source: "counter" });
    h.guest(1200, "vm-3-c1", { vmgenid: "off" }, { cloneOf: "vm-3" }); // off: nothing to deliver
    expect(vmforkDelivered(h.records, {})).toEqual({
      checker: "vmfork-delivered",
      ok: true,
      violations: [],
    });
  });

  it("catches clones that never got their vmfork, naming the clone op's line", () => {
    const h = new HistoryBuilder();
    h.guest(0, "vm-1", { vmgenid: "notify" });
    h.invoke(1000, 5, "clone", "vm-1", { ids: ["vm-1-c1", "vm-1-c2"] });
    const op = h.ok(1250, 5, "clone", "vm-1", "vm-1-c1,vm-1-c2");
    const c1 = h.guest(1250, "vm-1-c1", null, { cloneOf: "vm-1" });
    const c2 = h.guest(1251, "vm-1-c2", null, { cloneOf: "vm-1" });
    h.event(1300, "vm-1-c2", "vmfork", { source: "vmgenid" });
    h.event(1400, "vm-1", "vmfork", { source: "vmgenid" }); // the parent's does not count
    const r = vmforkDelivered(h.records, {});
    expect(r.violations).toEqual([
      {
        message:
          "clone vm-1-c1 of vm-1 (vmgenid=notify, cloned at +1.250s) got no vmfork event by the end of the run",
        seqs: [op, c1],
      },
    ]);
    expect(c2).toBeGreaterThan(c1);
  });
});
