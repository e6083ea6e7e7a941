import { parseClusterText, type RunState } from "@vmrng/cluster";
import type { NodeStatus } from "@vmrng/wire";
import { describe, expect, it } from "vitest";
import { makeStyler, stripAnsi } from "../src/output/colors.js";
import { evaluateTarget } from "../src/status/boot-target.js";
import { statusDocument } from "../src/status/status-document.js";
import { statusTable } from "../src/status/status-table.js";

const spec = parseClusterText(
  [
    "name: lab",
    "hypervisors:",
    "  - id: hv1",
    "    guests:",
    "      - id: g1",
    "      - id: coco",
    "        coco: true",
    "        rdrand: { mode: absent }",
    "",
  ].join("\n"),
  "lab.yaml",
);

const state: RunState = {
  format: 1,
  cluster: "lab",
  hostPid: 100,
  controlUrl: "ws://127.0.0.1:4000/",
  startedAt: "2025-01-01T00:00:00.000Z",
  nodes: [],
};

const crng = (init: "EMPTY" | "EARLY" | "READY", extra: object = {}) => ({
  init,
  entropyAvail: init === "READY" ? 256 : 128,
  generation: 18446744073709551614n, // ULONG_MAX - 1: beyond any double
  ...extra,
});

const nodes: NodeStatus[] = [
  { node: "host", role: "host", pid: 100, state: "running", uptimeMs: 5000, channels: [] },
  { node: "hv1", role: "hypervisor", pid: 101, state: "running", uptimeMs: 4900, channels: [] },
  {
    node: "g1",
    role: "guest",
    pid: 102,
    state: "running",
    uptimeMs: 4800.5,
    lineage: { kexecs: 2, from: "g0" },
    crng: { ...crng("READY"), readyAtMs: 0.25 },
    channels: [
      { channel: "setup_data", requests: 1n, bytes: 32n, errors: 0n },
      { channel: "virtio-rng", requests: 3n, bytes: 9007199254740993n, errors: 1n },
    ],
  },
  {
    node: "coco",
    role: "guest",
    pid: 103,
    state: "panicked",
    uptimeMs: 3,
    crng: crng("EMPTY"),
    channels: [],
  },
];

describe("status --json document", () => {
  it("has the documented shape, with u64 counters as exact decimal strings", () => {
    const doc = statusDocument("/runs/lab", state, spec, nodes);
    const text = JSON.stringify(doc);
    const back = JSON.parse(text);
    expect(back).toEqual({
      format: 1,
      runDir: "/runs/lab",
      cluster: "lab",
      hostPid: 100,
      controlUrl: "ws://127.0.0.1:4000/",
      startedAt: "2025-01-01T00:00:00.000Z",
      nodes: [
        {
          id: "host",
          role: "host",
          hypervisor: null,
          pid: 100,
          state: "running",
          uptimeMs: 5000,
          lineage: null,
          crng: null,
          bootTarget: null,
          channels: [],
          egd: null,
        },
        {
          id: "hv1",
          role: "hypervisor",
          hypervisor: null,
          pid: 101,
          state: "running",
          uptimeMs: 4900,
          lineage: null,
          crng: null,
          bootTarget: null,
          channels: [],
          egd: null,
        },
        {
          id: "g1",
          role: "guest",
          hypervisor: "hv1",
          pid: 102,
          state: "running",
          uptimeMs: 4800.5,
          lineage: { kexecs: 2, from: "g0" },
          crng: {
            init: "READY",
            entropyAvail: 256,
            generation: "18446744073709551614",
            timeToReadyMs: 0.25,
            readySource: null,
          },
          bootTarget: { expect: "ready", state: "reached", reason: "crng READY" },
          channels: [
            { channel: "setup_data", requests: "1", bytes: "32", errors: "0" },
            { channel: "virtio-rng", requests: "3", bytes: "9007199254740993", errors: "1" },
          ],
          egd: null,
        },
        {
          id: "coco",
          role: "guest",
          hypervisor: "hv1",
          pid: 103,
          state: "panicked",
          uptimeMs: 3,
          lineage: null,
          crng: {
            init: "EMPTY",
            entropyAvail: 128,
            generation: "18446744073709551614",
            timeToReadyMs: null,
            readySource: null,
          },
          bootTarget: { expect: "panic", state: "reached", reason: "panicked as expected" },
          channels: [],
          egd: null,
        },
      ],
    });
  });

  it("carries readySource once the status reports it", () => {
    const withSource = [
      { ...nodes[2]!, crng: { ...nodes[2]!.crng!, readySource: "setup_data" } } as NodeStatus,
    ];
    expect(statusDocument("/r", state, spec, withSource).nodes[0]!.crng!.readySource).toBe(
      "setup_data",
    );
  });

  it("renders a plain table without colors", () => {
    const lines = statusTable(statusDocument("/r", state, spec, nodes), makeStyler(false));
    expect(lines.join("\n")).toBe(stripAnsi(lines.join("\n")));
    expect(lines[0]).toMatch(/^NODE\s+ROLE\s+PID\s+STATE\s+UPTIME\s+CRNG\s+ENTROPY\s+GEN/);
    const g1 = lines.find((l) => l.startsWith("g1 "))!;
    expect(g1).toMatch(
      /guest@hv1\s+102\s+running\s+4\.80s\s+READY\s+256\s+18446744073709551614\s+0\.25ms\s+-\s+ready ✓/,
    );
    expect(g1).toContain("setup_data:32 virtio-rng:9007199254740993");
  });
});

describe("status: the host's EGD server", () => {
  const host: NodeStatus = {
    node: "host",
    role: "host",
    pid: 100,
    state: "running",
    uptimeMs: 5000,
    channels: [{ channel: "egd", requests: 40n, bytes: 2560n, errors: 1n }],
    egd: {
      port: 40123,
      socketPath: "/runs/lab/egd.sock",
      connections: 3n,
      dropped: 1n,
      requests: 40n,
      bytes: 2560n,
      mixedBytes: 16n,
      clients: [
        {
          client: "tcp 127.0.0.1:51234",
          connectedMs: 4200,
          requests: 39n,
          bytes: 2496n,
          mixedBytes: 0n,
          throttled: 2n,
        },
      ],
    },
  };

  it("puts the server, its totals and each client on the host node, counters as strings", () => {
    const doc = statusDocument("/r", { ...state, egdPort: 40123 }, spec, [host, nodes[1]!]);
    expect(doc.nodes[0]!.channels).toEqual([
      { channel: "egd", requests: "40", bytes: "2560", errors: "1" },
    ]);
    expect(doc.nodes[0]!.egd).toEqual({
      port: 40123,
      socketPath: "/runs/lab/egd.sock",
      connections: "3",
      dropped: "1",
      requests: "40",
      bytes: "2560",
      mixedBytes: "16",
      clients: [
        {
          client: "tcp 127.0.0.1:51234",
          connectedMs: 4200,
          requests: "39",
          bytes: "2496",
          mixedBytes: "0",
          throttled: "2",
        },
      ],
    });
    expect(doc.nodes[1]!.egd).toBeNull();
  });

  it("adds an EGD summary and a row per client under the node table", () => {
    const lines = statusTable(statusDocument("/r", state, spec, [host]), makeStyler(false));
    const at = lines.findIndex((l) => l.startsWith("EGD "));
    expect(lines[at]).toBe(
      "EGD on 127.0.0.1:40123 and /runs/lab/egd.sock: 2560 bytes served in 40 requests to 3 connections (1 dropped), 16 bytes mixed in (uncredited)",
    );
    expect(lines[at + 1]).toMatch(
      /^ {2}CLIENT\s+CONNECTED\s+REQUESTS\s+BYTES\s+MIXED\s+THROTTLED$/,
    );
    expect(lines[at + 2]).toMatch(/^ {2}tcp 127\.0\.0\.1:51234\s+4\.20s\s+39\s+2496\s+0\s+2$/);
    const idle = { ...host, egd: { ...host.egd!, clients: [] } };
    const quiet = statusTable(statusDocument("/r", state, spec, [idle]), makeStyler(false));
    expect(quiet.at(-1)).toBe("  no client connected");
    expect(
      statusTable(statusDocument("/r", state, spec, nodes), makeStyler(false)),
    ).not.toContainEqual(expect.stringMatching(/^EGD/));
  });
});

describe("evaluateTarget", () => {
  const g = (state: NodeStatus["state"], init: "EMPTY" | "EARLY" | "READY") =>
    ({ ...nodes[2]!, state, crng: crng(init) }) as NodeStatus;
  it("ready: READY reaches it; a panic or exit fails it; otherwise pending", () => {
    expect(evaluateTarget("ready", undefined).state).toBe("pending");
    expect(evaluateTarget("ready", g("running", "READY")).state).toBe("reached");
    expect(evaluateTarget("ready", g("running", "EARLY"))).toEqual({
      state: "pending",
      reason: "crng EARLY, entropy_avail 128",
    });
    expect(evaluateTarget("ready", g("panicked", "EMPTY"))).toEqual({
      state: "failed",
      reason: "kernel panic (expected crng READY)",
    });
    expect(evaluateTarget("ready", g("crashed", "READY")).state).toBe("failed");
  });
  it("booted: a running kernel reaches it whatever crng_init; an exit fails it", () => {
    expect(evaluateTarget("booted", g("running", "EMPTY"))).toEqual({
      state: "reached",
      reason: "running, crng EMPTY",
    });
    expect(
      evaluateTarget("booted", { ...g("starting", "EMPTY"), crng: undefined } as NodeStatus).state,
    ).toBe("pending");
    expect(evaluateTarget("booted", g("panicked", "EMPTY")).state).toBe("failed");
    expect(evaluateTarget("booted", g("crashed", "EMPTY")).state).toBe("failed");
  });
  it("panic: only a kernel panic reaches it", () => {
    expect(evaluateTarget("panic", g("panicked", "EMPTY")).state).toBe("reached");
    expect(evaluateTarget("panic", g("running", "READY")).state).toBe("pending");
    expect(evaluateTarget("panic", g("stopped", "EMPTY")).state).toBe("failed");
  });
});
