import { describe, expect, it } from "vitest";
import { cocoRdrandPanics } from "../src/checkers/coco-rdrand-panics.js";
import { block, HistoryBuilder } from "./history-builder.js";

describe("coco-rdrand-panics", () => {
  it("passes when the broken CoCo guest panicked and served nothing", () => {
    const h = new HistoryBuilder();
    h.guest(0, "cc-1", { coco: true, rdrand: "fail", expect: "panic" });
    h.guest(0, "vm-1", { coco: false, rdrand: "absent" }); // non-CoCo: may run without RDRAND
    h.guest(0, "cc-2", { coco: true, rdrand: "stuck" }); // CF=1: not required to panic
    h.event(
      50,
      "cc-1",
      "panic",
      { exitCode: 86 },
      "Kernel panic - not syncing: RDRAND is defective.",
    );
    h.fail(60, 0, "getrandom", "cc-1", "E_CLOSED");
    h.rng(70, "vm-1", block(1));
    h.rng(80, "cc-2", block(2));
    expect(cocoRdrandPanics(h.records, {})).toEqual({
      checker: "coco-rdrand-panics",
      ok: true,
      violations: [],
    });
  });

  it("accepts the hypervisor's vm.state panicked as the panic", () => {
    const h = new HistoryBuilder();
    h.guest(0, "cc-1", { coco: true, rdrand: "absent", expect: "panic" });
    h.event(50, "cc-1", "vm.state", { state: "panicked", code: 86 });
    expect(cocoRdrandPanics(h.records, {}).ok).toBe(true);
  });

  it("catches a broken CoCo guest that never panicked", () => {
    const h = new HistoryBuilder();
    const node = h.guest(1500, "cc-1", { coco: true, rdrand: "absent", expect: "panic" });
    h.event(1600, "cc-1", "vm.state", { state: "running" });
    const r = cocoRdrandPanics(h.records, {});
    expect(r.violations).toEqual([
      {
        message:
          'cc-1 (coco, rdrand=absent) never panicked (known since +1.500s); cc_random_init must panic("RDRAND is defective.")',
        seqs: [node],
      },
    ]);
  });

  it("catches bytes served by a broken CoCo guest (op values and userspace output), even after a panic", () => {
    const h = new HistoryBuilder();
    h.guest(0, "cc-1", { coco: true, rdrand: "fail", expect: "panic" });
    const a = h.rng(200, "cc-1", block(0xdeadbeef));
    const b = h.event(300, "cc-1", "userspace.output", { program: "sshd", bytes: block(3) });
    h.event(400, "cc-1", "panic", { exitCode: 86 });
    const r = cocoRdrandPanics(h.records, {});
    expect(r.violations).toEqual([
      {
        message:
          "cc-1 (coco, rdrand=fail) served 32 bytes deadbeef… from getrandom at +0.200s; 2 outputs in all",
        seqs: [a, b],
      },
    ]);
  });

  it("a clone inherits its parent's facts", () => {
    const h = new HistoryBuilder();
    h.guest(0, "cc-1", { coco: true, rdrand: "fail" });
    h.event(10, "cc-1", "panic");
    const clone = h.guest(20, "cc-1-c1", null, { cloneOf: "cc-1" });
    const r = cocoRdrandPanics(h.records, {});
    expect(r.violations.map((v) => v.seqs)).toEqual([[clone]]);
    expect(r.violations[0]!.message).toMatch(/^cc-1-c1 \(coco, rdrand=fail\) never panicked/);
  });
});
