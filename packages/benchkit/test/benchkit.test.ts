import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { formatTable, percentile, ratioRow, summarize, writeSuite } from "../src/index.js";

describe("benchkit", () => {
  it("computes nearest-rank percentiles", () => {
    const s = Array.from({ length: 100 }, (_, i) => 100 - i);
    expect(percentile(s, 50)).toBe(50);
    expect(percentile(s, 99)).toBe(99);
    expect(percentile(s, 100)).toBe(100);
    expect(percentile([7], 99)).toBe(7);
    expect(summarize([1, 2, 3]).mean).toBe(2);
  });

  it("writes rows with ratio against the baseline", () => {
    const dir = mkdtempSync(join(tmpdir(), "benchkit-"));
    writeFileSync(join(dir, "pnpm-workspace.yaml"), "packages: []\n");
    const rows = [ratioRow("getrandom(32)", "calls/s", 3000, 1000, ">= 10x")];
    const file = writeSuite("demo", rows, dir);
    expect(file).toBe(join(dir, ".bench", "demo.json"));
    const back = JSON.parse(readFileSync(file, "utf8"));
    expect(back).toEqual([
      {
        name: "getrandom(32)",
        unit: "calls/s",
        value: 3000,
        baseline: 1000,
        ratio: 3,
        target: ">= 10x",
      },
    ]);
    expect(formatTable("demo", rows)).toContain("3.000x");
  });
});
