import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { type HistoryRecord, type OpRecord, parseHistory } from "@vmrng/scenario";
import { afterAll, describe, expect, it } from "vitest";
import { forceDown, pidAlive } from "./helpers/cluster.js";
import { vmrng } from "./helpers/run-vmrng.js";

const TINY_TS = fileURLToPath(new URL("./fixtures/run-tiny.scenario.ts", import.meta.url));
const tmp = mkdtempSync(join(tmpdir(), "vmrng-run-"));
const runDirs: string[] = [];

afterAll(async () => {
  for (const d of runDirs) await forceDown(d);
  rmSync(tmp, { recursive: true, force: true });
});

function write(name: string, text: string): string {
  const file = join(tmp, name);
  writeFileSync(file, text);
  return file;
}

const readHistory = (runDir: string) =>
  parseHistory(readFileSync(join(runDir, "scenario-history.jsonl"), "utf8"));

describe("vmrng run: a tiny TypeScript scenario", () => {
  const runDir = join(tmp, "tiny");
  runDirs.push(runDir);
  let result: Awaited<ReturnType<typeof vmrng>>;
  let records: HistoryRecord[];

  it("runs, passes and exits 0 with a JSON summary", async () => {
    result = await vmrng(["run", TINY_TS, "--json", "--seed", "3", "--run-dir", runDir], {
      timeoutMs: 60_000,
    });
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    const summary = JSON.parse(result.stdout.toString("utf8"));
    expect(summary).toMatchObject({
      version: 1,
      ok: true,
      scenario: "tiny",
      seed: 3,
      runDir,
      faultErrors: [],
      historyPath: join(runDir, "scenario-history.jsonl"),
      operations: { getrandom: { ok: 3, fail: 0, info: 0 } },
    });
    expect(summary.checkers.map((c: { name: string; ok: boolean }) => [c.name, c.ok])).toEqual([
      ["unique-blocks", true],
      ["ready-by-deadline", true],
      ["coco-rdrand-panics", true],
      ["unique-boot-seeds", true],
      ["vmfork-delivered", true],
    ]);
  }, 70_000);

  it("writes a complete, strictly ordered history with run, node, op and event records", () => {
    const parsed = readHistory(runDir);
    records = parsed.records;
    expect(parsed.skipped).toBe(0);
    expect(records.map((r) => r.seq)).toEqual(records.map((_, i) => i + 1));
    const runs = records.filter((r) => r.type === "run");
    expect(runs.map((r) => r.phase)).toEqual(["start", "cluster-up", "end"]);
    expect(records[0]).toMatchObject({ type: "run", phase: "start", scenario: "tiny", seed: 3 });
    expect(records[records.length - 1]).toMatchObject({ type: "run", phase: "end" });

    const nodes = records.filter((r) => r.type === "node");
    expect(nodes).toEqual([
      expect.objectContaining({ node: "hv1", role: "hypervisor", parent: "host" }),
      expect.objectContaining({
        node: "vm-1",
        role: "guest",
        parent: "hv1",
        facts: { coco: false, rdrand: "ok", expect: "ready", vmgenid: "notify", seed: "present" },
      }),
    ]);
  });

  it("pairs three getrandom invokes with three ok values of 64 distinct bytes each", () => {
    const ops = records.filter((r): r is OpRecord => r.type === "op");
    expect(ops.map((o) => o.phase)).toEqual(["invoke", "ok", "invoke", "ok", "invoke", "ok"]);
    for (const o of ops) expect(o).toMatchObject({ process: 0, f: "getrandom", node: "vm-1" });
    for (const o of ops.filter((x) => x.phase === "invoke"))
      expect(o.args).toEqual({ len: 64, flags: 0 });
    const values = ops.filter((o) => o.phase === "ok").map((o) => o.value ?? "");
    for (const v of values) expect(v).toMatch(/^[0-9a-f]{128}$/);
    expect(new Set(values).size).toBe(3);
    // every op happened after cluster-up, and after the guest was READY
    const up = records.find((r) => r.type === "run" && r.phase === "cluster-up")!;
    const ready = records.find(
      (r) =>
        r.type === "event" &&
        r.node === "vm-1" &&
        r.kind === "init-state" &&
        r.data?.to === "READY",
    )!;
    expect(ready).toBeDefined();
    for (const o of ops) expect(o.seq).toBeGreaterThan(up.seq);
  });

  it("records the cluster's own events, the boot seed among them, and leaves no process", () => {
    const kinds = new Set(
      records.filter((r) => r.type === "event").map((r) => (r as { kind: string }).kind),
    );
    for (const k of ["vm.state", "boot.seed", "init-state", "log"]) expect(kinds).toContain(k);
    const seed = records.find((r) => r.type === "event" && r.kind === "boot.seed");
    expect((seed as { data?: { seed?: string } }).data?.seed).toMatch(/^[0-9a-f]{64}$/);
    // the cluster was stopped: state.json removed, every recorded pid gone
    expect(existsSync(join(runDir, "state.json"))).toBe(false);
    const pids = records
      .filter((r) => r.type === "event" && r.kind === "vm.state")
      .map((r) => (r as { data?: { pid?: number } }).data?.pid)
      .filter((p): p is number => typeof p === "number");
    expect(pids.length).toBeGreaterThan(0);
    for (const p of pids) expect(pidAlive(p)).toBe(false);
    // the plan is kept beside the history, for replay and diffs
    const plan = JSON.parse(readFileSync(join(runDir, "scenario-plan.json"), "utf8"));
    expect(plan.seed).toBe(3);
    expect(plan.plan).toHaveLength(3);
  });
});

describe("vmrng run: verdicts and bad input", () => {
  it("exits 1 when a declared violation does not happen (reusing a run directory)", async () => {
    const file = write(
      "declared.yaml",
      `name: declared
cluster: { hypervisors: [{ id: hv1, guests: [{ id: vm-1 }] }] }
duration: 1s
schedule:
  - { at: 0ms, op: getrandom, vm: vm-1, len: 32, repeat: 2, every: 100ms }
expect: { violations: [unique-blocks] }
`,
    );
    // the tiny run's directory: its histories must not leak into this run
    const runDir = join(tmp, "tiny");
    const r = await vmrng(["run", file, "--json", "--run-dir", runDir], { timeoutMs: 60_000 });
    expect(r.code).toBe(1);
    const summary = JSON.parse(r.stdout.toString("utf8"));
    expect(summary.ok).toBe(false);
    expect(summary.missingExpected).toEqual(["unique-blocks"]);
    expect(summary.unexpectedViolations).toEqual([]);
    expect(existsSync(join(runDir, "state.json"))).toBe(false);
    const { records } = readHistory(runDir);
    expect(records[0]).toMatchObject({ seq: 1, type: "run", phase: "start", scenario: "declared" });
    expect(records.filter((r) => r.type === "run").every((r) => r.scenario === "declared")).toBe(
      true,
    );
    expect(records.filter((r) => r.type === "event" && r.kind === "boot.seed")).toHaveLength(1);
  }, 70_000);

  it("refuses a bad fault spec with exit 2 before starting anything", async () => {
    const file = write(
      "bad-fault.yaml",
      `name: bad-fault
cluster: { hypervisors: [{ id: hv1, guests: [{ id: vm-1 }] }] }
duration: 1s
schedule:
  - { at: 100ms, fault: "latncy:latencyMs=200", target: hv1 }
`,
    );
    const runDir = join(tmp, "bad-fault");
    const r = await vmrng(["run", file, "--run-dir", runDir]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("schedule[0]");
    expect(r.stderr).toContain("unknown fault kind 'latncy'");
    expect(r.stderr).toContain("latency");
    expect(existsSync(runDir)).toBe(false);
  });

  it("refuses a fault param out of range and a fault on an unknown node with exit 2", async () => {
    const range = write(
      "bad-range.yaml",
      `name: bad-range
cluster: { hypervisors: [{ id: hv1, guests: [{ id: vm-1 }] }] }
schedule:
  - { at: 100ms, fault: { kind: drop, probability: 2 }, target: vm-1 }
`,
    );
    const r1 = await vmrng(["run", range, "--run-dir", join(tmp, "bad-range")]);
    expect(r1.code).toBe(2);
    expect(r1.stderr).toMatch(/schedule\[0\]: drop: probability must be/);
    const node = write(
      "bad-node.yaml",
      `name: bad-node
cluster: { hypervisors: [{ id: hv1, guests: [{ id: vm-1 }] }] }
schedule:
  - { at: 100ms, fault: virtio.zeros, target: vm-9 }
`,
    );
    const r2 = await vmrng(["run", node, "--run-dir", join(tmp, "bad-node")]);
    expect(r2.code).toBe(2);
    expect(r2.stderr).toContain("unknown node 'vm-9'");
    expect(existsSync(join(tmp, "bad-range"))).toBe(false);
    expect(existsSync(join(tmp, "bad-node"))).toBe(false);
  });

  it("refuses an invalid scenario, an invalid inline cluster and an unknown name with exit 2", async () => {
    const badStep = write(
      "bad-step.yaml",
      `name: bad-step
cluster: { hypervisors: [{ id: hv1, guests: [{ id: vm-1 }] }] }
schedule:
  - { at: soon, op: getrandom, vm: vm-1 }
`,
    );
    const r1 = await vmrng(["run", badStep]);
    expect(r1.code).toBe(2);
    expect(r1.stderr).toMatch(/bad-step\.yaml:4: schedule\[0\]\.at/);
    const badCluster = write(
      "bad-cluster.yaml",
      `name: bad-cluster
cluster: { hypervisors: [{ id: hv1, guests: [{ id: vm-1, rdrand: { mode: broken } }] }] }
`,
    );
    const r2 = await vmrng(["run", badCluster]);
    expect(r2.code).toBe(2);
    expect(r2.stderr).toContain("rdrand");
    const r3 = await vmrng(["run", "no-such-scenario"]);
    expect(r3.code).toBe(2);
    expect(r3.stderr).toContain("no scenario named 'no-such-scenario'");
    expect(r3.stderr).toContain("fork-notify");
    const r4 = await vmrng(["run", badStep, "--seed", "-1"]);
    expect(r4.code).toBe(2);
  });

  it("shows help with examples and exit codes", async () => {
    const r = await vmrng(["run", "--help"]);
    expect(r.code).toBe(0);
    const text = r.stdout.toString("utf8");
    for (const s of [
      "--seed",
      "--json",
      "--run-dir",
      "--keep",
      "vmrng run fork-notify",
      "Exit codes",
    ])
      expect(text).toContain(s);
  });
});
