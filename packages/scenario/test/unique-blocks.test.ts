import { describe, expect, it } from "vitest";
import { uniqueBlocks } from "../src/checkers/unique-blocks.js";
import { block, HistoryBuilder } from "./history-builder.js";

describe("unique-blocks", () => {
  it("passes when every guest got its own blocks, and ignores repeats within one guest", () => {
    const h = new HistoryBuilder();
    h.guest(0, "vm-1");
    h.guest(0, "vm-2");
    h.rng(10, "vm-1", block(1) + block(2));
    h.rng(11, "vm-2", block(3));
    h.rng(12, "vm-1", block(1)); // same guest twice: not this checker's business
    const r = uniqueBlocks(h.records, {});
    expect(r).toEqual({ checker: "unique-blocks", ok: true, violations: [] });
  });

  it("catches a block returned to two guests, naming both guests, both lines and the value", () => {
    const h = new HistoryBuilder();
    h.guest(0, "vm-1");
    h.guest(500, "vm-1-c1", {}, { cloneOf: "vm-1" });
    const first = h.rng(1204, "vm-1", block(0x9f3a1c0e, 7) + block(2));
    h.rng(1300, "vm-1-c1", block(5));
    const second = h.rng(3400, "vm-1-c1", block(0x9f3a1c0e, 7));
    const r = uniqueBlocks(h.records, {});
    expect(r.ok).toBe(false);
    expect(r.violations).toHaveLength(1);
    expect(r.violations[0]!.seqs).toEqual([first, second]);
    expect(r.violations[0]!.message).toBe(
      `vm-1 and vm-1-c1 got the same 32-byte block 9f3a1c0e…: getrandom on vm-1 at +1.204s (#${first}), getrandom on vm-1-c1 at +3.400s (#${second})`,
    );
  });

  it("compares 32-byte blocks at offsets 0, 32, 64 only and ignores a short tail", () => {
    const h = new HistoryBuilder();
    const a = block(0xaa);
    const b = block(0xbb);
    // vm-2's value holds a's bytes shifted by 16: no aligned block in common
    h.rng(1, "vm-1", a + b);
    h.rng(2, "vm-2", a.slice(32) + b + b.slice(0, 32));
    // a 16-byte tail equal to vm-1's first 16 bytes is ignored
    h.rng(3, "vm-3", block(0xcc) + a.slice(0, 32));
    expect(uniqueBlocks(h.records, {}).ok).toBe(true);
  });

  it("counts userspace.output bytes and reads, and groups blocks shared by one pair of lines", () => {
    const h = new HistoryBuilder();
    const v = block(1) + block(2) + block(3);
    const opSeq = h.rng(100, "vm-1", v, { source: "urandom", len: 96 }, "read");
    const evSeq = h.event(250, "vm-2", "userspace.output", { program: "keygen", bytes: v });
    const r = uniqueBlocks(h.records, {});
    expect(r.violations).toHaveLength(1);
    expect(r.violations[0]!.seqs).toEqual([opSeq, evSeq]);
    expect(r.violations[0]!.message).toContain("read on vm-1 at +0.100s");
    expect(r.violations[0]!.message).toContain("keygen on vm-2 at +0.250s");
    expect(r.violations[0]!.message).toMatch(/; 3 blocks in common$/);
  });

  it("reports a third guest against the first owner, and ignores clone ids and failed ops", () => {
    const h = new HistoryBuilder();
    const a = h.rng(1, "vm-1", block(7));
    const b = h.rng(2, "vm-2", block(7));
    const c = h.rng(3, "vm-3", block(7));
    h.invoke(4, 1, "clone", "vm-1", { ids: ["vm-9"] });
    h.ok(4, 1, "clone", "vm-1", "vm-9");
    h.fail(5, 0, "getrandom", "vm-4", "EAGAIN");
    const r = uniqueBlocks(h.records, {});
    expect(r.violations.map((v) => v.seqs)).toEqual([
      [a, b],
      [a, c],
    ]);
  });

  it("handles 100k blocks in one pass and finds the single duplicate among them", () => {
    const h = new HistoryBuilder();
    const guests = ["vm-1", "vm-2", "vm-3", "vm-4"];
    let n = 0;
    for (let i = 0; i < 25_000; i++) {
      // each op returns 4 blocks: 100k distinct blocks in all
      const node = guests[i % 4]!;
      h.rng(i, node, block(i, n++) + block(i, n++) + block(i, n++) + block(i, n++));
    }
    const dupOf = h.records.find((r) => r.type === "op" && r.phase === "ok" && r.node === "vm-3");
    const value = (dupOf as { value: string }).value;
    const last = h.rng(30_000, "vm-2", value.slice(64, 128));
    const r = uniqueBlocks(h.records, {});
    expect(r.violations).toHaveLength(1);
    expect(r.violations[0]!.seqs).toEqual([dupOf!.seq, last]);
  });
});
