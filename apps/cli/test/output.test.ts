import { describe, expect, it } from "vitest";
import { colorsEnabled, makeStyler, nodeColor, stripAnsi } from "../src/output/colors.js";
import { dmesgTime, EventFormatter } from "../src/output/event-line.js";
import { truncateVisible } from "../src/output/live-region.js";
import { formatDuration, renderTable } from "../src/output/table.js";

describe("colors", () => {
  it("are off for pipes, NO_COLOR and TERM=dumb; FORCE_COLOR turns them on", () => {
    expect(colorsEnabled({ isTTY: true }, {})).toBe(true);
    expect(colorsEnabled({ isTTY: false }, {})).toBe(false);
    expect(colorsEnabled({ isTTY: true }, { NO_COLOR: "1" })).toBe(false);
    expect(colorsEnabled({ isTTY: true }, { TERM: "dumb" })).toBe(false);
    expect(colorsEnabled({ isTTY: false }, { FORCE_COLOR: "1" })).toBe(true);
    expect(colorsEnabled({ isTTY: true }, { NO_COLOR: "1", FORCE_COLOR: "1" })).toBe(false);
  });
  it("styles with SGR codes only when enabled", () => {
    expect(makeStyler(false)("red", "x")).toBe("x");
    expect(makeStyler(true)(["bold", "red"], "x")).toBe("\x1b[31m\x1b[1mx\x1b[22m\x1b[39m");
    expect(stripAnsi(makeStyler(true)("cyan", "abc"))).toBe("abc");
  });
  it("gives a node the same color every time", () => {
    expect(nodeColor("starved")).toBe(nodeColor("starved"));
  });
});

describe("event lines", () => {
  it("print printk timestamps as print_time() does", () => {
    expect(dmesgTime(0)).toBe("[    0.000000]");
    expect(dmesgTime(1234.5678)).toBe("[    1.234568]");
    expect(dmesgTime(123_456_789)).toBe("[123456.789000]");
  });
  it("prefix every line with its padded node id", () => {
    const f = new EventFormatter(makeStyler(false), ["host", "starved"]);
    expect(
      f.format({
        node: "coco",
        vtimeMs: 12.5,
        kind: "log",
        level: "info",
        message: "random: crng init done",
      }),
    ).toBe("coco    | [    0.012500] random: crng init done");
    expect(
      f.format({
        node: "coco",
        vtimeMs: 13,
        kind: "panic",
        level: "error",
        message: "RDRAND is defective.",
      }),
    ).toBe("coco    | » panic: RDRAND is defective.");
  });
});

describe("tables", () => {
  it("align columns by visible width", () => {
    const s = makeStyler(true);
    const lines = renderTable(
      ["A", "BB"],
      [
        [s("red", "xyz"), "1"],
        ["q", "22"],
      ],
    );
    expect(lines.map(stripAnsi)).toEqual(["A    BB", "xyz  1", "q    22"]);
  });
  it("truncate styled lines without breaking escapes", () => {
    const s = makeStyler(true);
    const t = truncateVisible(`${s("red", "abcdef")}ghij`, 5);
    expect(stripAnsi(t)).toBe("abcd…");
  });
  it("format durations", () => {
    expect(formatDuration(0)).toBe("0ms");
    expect(formatDuration(0.25)).toBe("0.25ms");
    expect(formatDuration(850)).toBe("850ms");
    expect(formatDuration(4800.5)).toBe("4.80s");
    expect(formatDuration(12_340)).toBe("12.3s");
    expect(formatDuration(302_000)).toBe("5m02s");
    expect(formatDuration(7_500_000)).toBe("2h05m");
  });
});
