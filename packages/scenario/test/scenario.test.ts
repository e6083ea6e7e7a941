import { describe, expect, it } from "vitest";
import { parseDuration } from "../src/duration.js";
import { ScenarioError } from "../src/errors.js";
import {
  defineScenario,
  parseScenarioYaml,
  validateScenario,
  validateScenarioModule,
} from "../src/scenario.js";
import { FORK_NOTIFY_YAML } from "./fixtures.js";

/** The ScenarioError a call throws (fails the test when it does not throw one). */
function errorOf(fn: () => unknown): ScenarioError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(ScenarioError);
    return e as ScenarioError;
  }
  throw new Error("expected a ScenarioError");
}

const base = { name: "t", clusterFile: "../clusters/two.yaml" };

describe("parseDuration", () => {
  it("reads ms, s, m and numbers", () => {
    expect(parseDuration("250ms")).toBe(250);
    expect(parseDuration("5s")).toBe(5000);
    expect(parseDuration("1.5s")).toBe(1500);
    expect(parseDuration("2m")).toBe(120_000);
    expect(parseDuration(40)).toBe(40);
    expect(() => parseDuration("5h")).toThrow(/expected a duration like/);
    expect(() => parseDuration(-1)).toThrow(/≥ 0/);
  });
});

describe("parseScenarioYaml", () => {
  it("reads the full example with defaults applied and durations in ms", () => {
    const s = parseScenarioYaml(FORK_NOTIFY_YAML, "fork-notify.yaml");
    expect(s.name).toBe("fork-notify");
    expect(s.durationMs).toBe(10_000);
    expect(s.deadlines.readyMs).toBe(30_000);
    expect(s.cluster).toMatchObject({ hypervisors: [{ id: "hv1" }] });
    expect(s.clusterFile).toBeUndefined();
    expect(s.load).toEqual({
      clients: 4,
      rate: 50,
      targets: "guests",
      mix: [
        { op: "getrandom", len: 32, flags: 0, weight: 8 },
        { op: "read", source: "urandom", len: 64, weight: 2 },
      ],
    });
    expect(s.schedule).toEqual([
      {
        atMs: 1000,
        index: 0,
        kind: "op",
        op: "clone",
        vm: "vm-1",
        count: 2,
        ids: ["vm-1-c1", "vm-1-c2"],
      },
      {
        atMs: 2000,
        index: 1,
        kind: "op",
        op: "getrandom",
        vm: "vm-1-c1",
        len: 32,
        flags: 0,
        repeat: 5,
        everyMs: 100,
      },
      { atMs: 3000, index: 2, kind: "op", op: "kexec", vm: "vm-2" },
      {
        atMs: 3000,
        index: 3,
        kind: "fault",
        fault: "latency:latencyMs=200",
        target: "hv1",
        forMs: 2000,
      },
      { atMs: 4000, index: 4, kind: "op", op: "snapshot", vm: "vm-1" },
      { atMs: 8000, index: 5, kind: "wait", event: "init-state", node: "vm-2", timeoutMs: 5000 },
    ]);
    expect(s.expect.violations).toEqual([]);
  });

  it("names the path, the line and what was expected", () => {
    const e = errorOf(() =>
      parseScenarioYaml(
        FORK_NOTIFY_YAML.replace("{ at: 4s, op: snapshot", "{ at: soon, op: snapshot"),
        "f.yaml",
      ),
    );
    expect(e.code).toBe("E_SCENARIO");
    expect(e.path).toBe("schedule[4].at");
    expect(e.line).toBe(25);
    expect(e.message).toBe(
      'f.yaml:25: schedule[4].at: expected when, from cluster-up (a duration) (got "soon")',
    );
  });

  it("reports a YAML syntax error with its line, and duplicate keys", () => {
    expect(errorOf(() => parseScenarioYaml("name: a\n  b: [", "x.yaml")).message).toMatch(
      /^x\.yaml:\d+: \(scenario\): not valid YAML/,
    );
    expect(errorOf(() => parseScenarioYaml("name: a\nname: b\n", "x.yaml")).line).toBe(2);
  });
});

describe("validateScenario", () => {
  it("applies defaults to a minimal scenario", () => {
    expect(validateScenario(base, "m.ts")).toEqual({
      name: "t",
      description: "",
      source: "m.ts",
      clusterFile: "../clusters/two.yaml",
      seed: 1,
      durationMs: 10_000,
      deadlines: { readyMs: 30_000 },
      schedule: [],
      expect: { violations: [] },
    });
  });

  it("refuses a field a step of that op does not have (closed objects)", () => {
    const e = errorOf(() =>
      validateScenario({ ...base, schedule: [{ at: 1, op: "clone", vm: "vm-1", len: 32 }] }, "m"),
    );
    expect(e.path).toBe("schedule[0].len");
    expect(e.expected).toBe("unknown field; allowed fields: at, op, vm, count, ids, snapshot");
  });

  it("names a bad op, a step with no kind and a missing field", () => {
    expect(
      errorOf(() => validateScenario({ ...base, schedule: [{ at: 1, op: "fork", vm: "a" }] }, "m"))
        .message,
    ).toBe(
      'm: schedule[0].op: expected one of getrandom, read, clone, kexec, snapshot, restore, status (got "fork")',
    );
    expect(errorOf(() => validateScenario({ ...base, schedule: [{}, { at: 1 }] }, "m")).path).toBe(
      "schedule[0]",
    );
    const e = errorOf(() =>
      validateScenario({ ...base, schedule: [{ at: 1, op: "restore", vm: "a" }] }, "m"),
    );
    expect(e.path).toBe("schedule[0].snapshot");
    expect(e.expected).toBe("required field is missing");
  });

  it("checks bounds: flags, clients, a step after the end, a run over 10 minutes", () => {
    const flags = errorOf(() =>
      validateScenario({ ...base, schedule: [{ at: 1, op: "getrandom", vm: "a", flags: 8 }] }, "m"),
    );
    expect(flags.path).toBe("schedule[0].flags");
    expect(flags.expected).toMatch(/^expected an integer >= 0 and <= 7/);
    expect(
      errorOf(() => validateScenario({ ...base, load: { clients: 65, rate: 1 } }, "m")).path,
    ).toBe("load.clients");
    const late = errorOf(() =>
      validateScenario(
        { ...base, duration: "5s", schedule: [{ at: "6s", op: "kexec", vm: "a" }] },
        "m",
      ),
    );
    expect(late.message).toBe(
      `m: schedule[0].at: expected a time within the run's duration 5s (got "6s")`,
    );
    expect(errorOf(() => validateScenario({ ...base, duration: "11m" }, "m")).message).toBe(
      'm: duration: expected at most 10m (got "11m")',
    );
  });

  it("checks a load mix entry per op and the name pattern", () => {
    const e = errorOf(() =>
      validateScenario({ ...base, load: { rate: 5, mix: [{ op: "read", source: "hwrng" }] } }, "m"),
    );
    expect(e.path).toBe("load.mix[0].source");
    expect(e.expected).toBe('expected one of "random", "urandom" (got "hwrng")');
    expect(errorOf(() => validateScenario({ ...base, name: "Fork Notify" }, "m")).path).toBe(
      "name",
    );
  });

  it("wants exactly one of cluster and clusterFile, and known checker names", () => {
    expect(errorOf(() => validateScenario({ name: "t" }, "m")).expected).toMatch(
      /^give exactly one of cluster/,
    );
    expect(
      errorOf(() => validateScenario({ ...base, cluster: { hypervisors: [] } }, "m")).path,
    ).toBe("clusterFile");
    const e = errorOf(() =>
      validateScenario({ ...base, expect: { violations: ["unique-block"] } }, "m"),
    );
    expect(e.path).toBe("expect.violations[0]");
    expect(e.expected).toMatch(/^expected one of "unique-blocks", "ready-by-deadline"/);
  });

  it("numbers clones per parent, skipping written ids, and refuses an id used twice", () => {
    const s = validateScenario(
      {
        ...base,
        schedule: [
          { at: 1, op: "clone", vm: "vm-1", ids: ["vm-1-c1"] },
          { at: 2, op: "clone", vm: "vm-1", count: 2 },
          { at: 3, op: "clone", vm: "vm-1-c2" },
        ],
      },
      "m",
    );
    expect(s.schedule.map((x) => (x.kind === "op" && x.op === "clone" ? x.ids : []))).toEqual([
      ["vm-1-c1"],
      ["vm-1-c2", "vm-1-c3"],
      ["vm-1-c2-c1"],
    ]);
    const e = errorOf(() =>
      validateScenario(
        {
          ...base,
          schedule: [
            { at: 1, op: "clone", vm: "vm-1", ids: ["x"] },
            { at: 2, op: "clone", vm: "vm-2", ids: ["x"] },
          ],
        },
        "m",
      ),
    );
    expect(e.message).toBe("m: schedule[1].ids: clone id x is used twice");
  });

  it("refuses a load too large to plan", () => {
    expect(
      errorOf(() => validateScenario({ ...base, duration: "10m", load: { rate: 5000 } }, "m")).path,
    ).toBe("load.rate");
  });
});

describe("TypeScript modules", () => {
  it("defineScenario is the identity and a module's default export goes through the validator", () => {
    const input = defineScenario({
      name: "coco-broken-rdrand",
      clusterFile: "../clusters/coco.yaml",
      duration: "5s",
      schedule: [{ at: "1s", op: "getrandom", vm: "cc-1", flags: 1 }],
      expect: { violations: [] },
    });
    const s = validateScenarioModule({ default: input }, "coco.ts");
    expect(s.durationMs).toBe(5000);
    expect(s.schedule[0]).toMatchObject({ op: "getrandom", flags: 1, len: 32, repeat: 1 });
    expect(errorOf(() => validateScenarioModule({ scenario: input }, "coco.ts")).message).toMatch(
      /^coco\.ts: \(scenario\): the module has no default export/,
    );
    expect(errorOf(() => validateScenarioModule({ default: 42 }, "n.ts")).path).toBe("");
  });
});
