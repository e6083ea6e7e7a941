import { describe, expect, it } from "vitest";
import { uniqueBootSeeds } from "../src/checkers/unique-boot-seeds.js";
import { block, HistoryBuilder } from "./history-builder.js";

describe("unique-boot-seeds", () => {
  it("passes with a fresh seed per boot, kexecs included, and boots without a seed", () => {
    const h = new HistoryBuilder();
    h.event(1, "vm-1", "boot.seed", { policy: "present", seed: block(1) });
    h.event(2, "vm-2", "boot.seed", { policy: "present", seed: block(2) });
    h.event(3, "vm-3", "boot.seed", { policy: "absent" });
    h.event(4, "vm-4", "boot.seed", { policy: "absent" });
    h.event(5, "vm-1", "boot.seed", { policy: "kexec", kexec: 1, seed: block(3) });
    expect(uniqueBootSeeds(h.records, {})).toEqual({
      checker: "unique-boot-seeds",
      ok: true,
      violations: [],
    });
  });

  it("catches a replayed seed across boots and guests, naming every boot that got it", () => {
    const h = new HistoryBuilder();
    const seed = block(0x51de5eed);
    const a = h.event(100, "vm-1", "boot.seed", { policy: "replayed", seed });
    h.event(150, "vm-2", "boot.seed", { policy: "present", seed: block(9) });
    const b = h.event(2000, "vm-1", "boot.seed", { policy: "replayed", seed: seed.toUpperCase() });
    const c = h.event(2100, "vm-3", "boot.seed", { policy: "replayed", seed });
    const r = uniqueBootSeeds(h.records, {});
    expect(r.violations).toEqual([
      {
        message: `boot seed 51de5eed… handed out 3 times: vm-1 at +0.100s (policy replayed, #${a}), vm-1 at +2.000s (policy replayed, #${b}), vm-3 at +2.100s (policy replayed, #${c})`,
        seqs: [a, b, c],
      },
    ]);
  });

  it("catches two zeroed seeds: all-zero bytes are the same value", () => {
    const h = new HistoryBuilder();
    const zero = "00".repeat(32);
    const a = h.event(1, "vm-1", "boot.seed", { policy: "zero", seed: zero });
    const b = h.event(2, "vm-2", "boot.seed", { policy: "zero", seed: zero });
    const r = uniqueBootSeeds(h.records, {});
    expect(r.violations.map((v) => v.seqs)).toEqual([[a, b]]);
    expect(r.violations[0]!.message).toMatch(/^boot seed 00000000… handed out 2 times/);
  });
});
