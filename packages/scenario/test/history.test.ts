import { describe, expect, it } from "vitest";
import { HistoryError } from "../src/errors.js";
import { formatRecord, parseHistory } from "../src/history.js";

const lines = [
  { seq: 1, at: 0, type: "run", phase: "start", scenario: "fork-notify", seed: 7 },
  { seq: 2, at: 12, type: "node", node: "vm-1", role: "guest", parent: "hv1" },
  {
    seq: 3,
    at: 1204,
    type: "op",
    process: 0,
    f: "getrandom",
    node: "vm-1",
    phase: "ok",
    value: `9f3a${"00".repeat(30)}`,
  },
].map((r) => JSON.stringify(r));

describe("parseHistory", () => {
  it("reads JSON lines, ignoring blank ones", () => {
    const { records, skipped } = parseHistory(`${lines.join("\n")}\n\n`);
    expect(skipped).toBe(0);
    expect(records.map((r) => r.seq)).toEqual([1, 2, 3]);
    expect(records[2]).toMatchObject({ type: "op", f: "getrandom", node: "vm-1" });
  });

  it("skips and counts a torn last line (a crash in the middle of a write)", () => {
    const torn = `${lines.join("\n")}\n{"seq":4,"at":1300,"type":"op","proc`;
    const { records, skipped } = parseHistory(torn);
    expect(skipped).toBe(1);
    expect(records).toHaveLength(3);
  });

  it("refuses a malformed middle line with its line number", () => {
    const bad = [lines[0], lines[1], '{"seq":3,"at":', lines[2]].join("\n");
    expect(() => parseHistory(bad)).toThrow(HistoryError);
    try {
      parseHistory(bad);
    } catch (e) {
      expect(e).toMatchObject({ code: "E_HISTORY", line: 3 });
      expect((e as Error).message).toMatch(/^history line 3: not valid JSON/);
    }
  });

  it("refuses a record of the wrong shape and a seq that does not increase", () => {
    const noNode = JSON.stringify({ seq: 4, at: 1, type: "event", vtimeMs: 0, kind: "x" });
    expect(() => parseHistory([...lines, noNode, ""].join("\n"))).toThrow(
      "history line 4: event: expected strings `node`, `kind`, `level`, `message`",
    );
    const back = JSON.stringify({
      seq: 2,
      at: 1,
      type: "run",
      phase: "end",
      scenario: "x",
      seed: 1,
    });
    expect(() => parseHistory([...lines, back].join("\n"))).toThrow(
      "history line 4: seq 2 does not follow 3 (must increase)",
    );
    expect(() => parseHistory('[1,2]\n{"seq":1}\n')).toThrow(
      "history line 1: expected a JSON object",
    );
  });
});

describe("formatRecord", () => {
  it("prints one readable line per record kind", () => {
    const { records } = parseHistory(lines.join("\n"));
    expect(records.map(formatRecord)).toEqual([
      "#1 +0.000s run start fork-notify seed=7",
      "#2 +0.012s node vm-1 guest on hv1",
      "#3 +1.204s op getrandom vm-1 ok 32B 9f3a…",
    ]);
    expect(
      formatRecord({
        seq: 9,
        at: 3000,
        type: "fault",
        phase: "start",
        fault: 2,
        spec: { kind: "latency", target: "hv1", params: { latencyMs: 200, direction: "down" } },
        nodes: ["hv1"],
      }),
    ).toBe("#9 +3.000s fault start #2 latency:latencyMs=200,direction=down → hv1 [hv1]");
    expect(
      formatRecord({
        seq: 10,
        at: 3100,
        type: "op",
        process: 4,
        f: "getrandom",
        node: "vm-2",
        phase: "fail",
        error: "EAGAIN",
      }),
    ).toBe("#10 +3.100s op getrandom vm-2 fail EAGAIN");
    expect(
      formatRecord({
        seq: 11,
        at: 3200,
        type: "event",
        node: "vm-2",
        vtimeMs: 812,
        kind: "init-state",
        level: "info",
        message: "crng_init EARLY -> READY (virtio-rng)",
      }),
    ).toBe(
      '#11 +3.200s event vm-2 init-state info "crng_init EARLY -> READY (virtio-rng)" vtime=812ms',
    );
  });
});
