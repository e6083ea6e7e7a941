import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ClusterFileError } from "@vmrng/cluster";
import { describe, expect, it } from "vitest";
import { loadClusterInput } from "../src/cluster-input/load-cluster.js";
import {
  applyOverrides,
  parseSetOverride,
  SetOverrideError,
} from "../src/cluster-input/set-override.js";

const errorOf = (fn: () => unknown): Error => {
  try {
    fn();
  } catch (e) {
    return e as Error;
  }
  throw new Error("expected a throw");
};

describe("parseSetOverride", () => {
  it("splits the path and parses the value as YAML", () => {
    expect(parseSetOverride("defaults.clockRate=10")).toEqual({
      raw: "defaults.clockRate=10",
      anchor: { kind: "root" },
      segments: ["defaults", "clockRate"],
      value: 10,
    });
    expect(parseSetOverride("hypervisors.0.guests.1.seed=absent").value).toBe("absent");
    expect(parseSetOverride("a=true").value).toBe(true);
    expect(parseSetOverride("a=off").value).toBe("off"); // YAML 1.2: not a boolean
    expect(parseSetOverride("a='10'").value).toBe("10");
    expect(parseSetOverride("a={mode: fail, failProbability: 0.25}").value).toEqual({
      mode: "fail",
      failProbability: 0.25,
    });
    expect(parseSetOverride("a=null").value).toBeNull();
    // Only the first '=' splits: values may contain more.
    expect(parseSetOverride("name=a=b").value).toBe("a=b");
  });

  it("takes guest:ID and hypervisor:ID (hv:ID) anchors", () => {
    expect(parseSetOverride("guest:starved.interrupts.perSecond=5")).toMatchObject({
      anchor: { kind: "guest", id: "starved" },
      segments: ["interrupts", "perSecond"],
      value: 5,
    });
    expect(parseSetOverride("hv:hv1.defaults.seed=zero").anchor).toEqual({
      kind: "hypervisor",
      id: "hv1",
    });
  });

  it("refuses malformed input with a typed error quoting the option", () => {
    for (const [raw, msg] of [
      ["clockRate", /expected PATH=VALUE/],
      ["=5", /expected PATH=VALUE/],
      ["a.b=", /missing VALUE/],
      ["a..b=1", /empty path segment/],
      ["__proto__.x=1", /is not a field/],
      ["guest:g1=1", /name a field of guest g1/],
      ["a=[1, 2", /not valid YAML/],
    ] as const) {
      const e = errorOf(() => parseSetOverride(raw));
      expect(e).toBeInstanceOf(SetOverrideError);
      expect((e as SetOverrideError).code).toBe("E_SET");
      expect(e.message).toMatch(
        new RegExp(`^--set ${raw.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}: `),
      );
      expect(e.message).toMatch(msg);
    }
  });
});

describe("applyOverrides", () => {
  const doc = () => ({
    hypervisors: [
      { id: "hv1", guests: [{ id: "a" }, { id: "b", seed: "absent" }] },
      { id: "hv2", guests: [{ id: "c" }] },
    ],
  });

  it("sets deep fields, creating mappings on the way, and reports the pointers", () => {
    const { doc: out, pointers } = applyOverrides(doc(), [
      parseSetOverride("defaults.clockRate=10"),
      parseSetOverride("guest:c.interrupts.perSecond=5"),
      parseSetOverride("hypervisors.0.guests.1.seed=present"),
      parseSetOverride("hv:hv2.defaults.rdrand.mode=fail"),
    ]);
    expect(out).toEqual({
      defaults: { clockRate: 10 },
      hypervisors: [
        { id: "hv1", guests: [{ id: "a" }, { id: "b", seed: "present" }] },
        {
          id: "hv2",
          defaults: { rdrand: { mode: "fail" } },
          guests: [{ id: "c", interrupts: { perSecond: 5 } }],
        },
      ],
    });
    expect(pointers).toEqual([
      "/defaults/clockRate",
      "/hypervisors/1/guests/0/interrupts/perSecond",
      "/hypervisors/0/guests/1/seed",
      "/hypervisors/1/defaults/rdrand/mode",
    ]);
  });

  it("appends at the end of a list, and null removes fields and list items", () => {
    const { doc: out } = applyOverrides(doc(), [
      parseSetOverride("hypervisors.1.guests.1={id: d, seed: zero}"),
      parseSetOverride("guest:b.seed=null"),
      parseSetOverride("hypervisors.0.guests.0=null"),
    ]);
    expect(out).toEqual({
      hypervisors: [
        { id: "hv1", guests: [{ id: "b" }] },
        { id: "hv2", guests: [{ id: "c" }, { id: "d", seed: "zero" }] },
      ],
    });
  });

  it("turns an empty document into a mapping", () => {
    expect(applyOverrides(null, [parseSetOverride("name=x")]).doc).toEqual({ name: "x" });
  });

  it("explains paths it cannot follow", () => {
    const cases: [string, RegExp][] = [
      ["guest:zz.seed=absent", /no guest with id "zz"; known guests: a, b, c/],
      ["hv:hv9.defaults.seed=absent", /no hypervisor with id "hv9"; known hypervisors: hv1, hv2/],
      ["hypervisors.5.id=x", /index 5 is past the end of hypervisors \(2 items\)/],
      ["hypervisors.x.id=x", /hypervisors is a list: expected an index, got "x"/],
      ["hypervisors.0.id.x=1", /hypervisors.0.id is a string, not a mapping or list/],
      ["hypervisors.0.guests.2=null", /index 2 is past the end of hypervisors.0.guests/],
    ];
    for (const [raw, msg] of cases) {
      const e = errorOf(() => applyOverrides(doc(), [parseSetOverride(raw)]));
      expect(e).toBeInstanceOf(SetOverrideError);
      expect(e.message).toMatch(msg);
    }
  });
});

describe("loadClusterInput", () => {
  const dir = mkdtempSync(join(tmpdir(), "vmrng-cli-set-"));
  const file = join(dir, "lab.yaml");
  writeFileSync(
    file,
    [
      "name: lab",
      "hypervisors:",
      "  - id: hv1",
      "    guests:",
      "      - id: g1",
      "      - id: g2",
      "        seed: absent",
      "        rdrand: { mode: absent }",
      "",
    ].join("\n"),
  );

  it("applies overrides before validation and defaults", () => {
    const spec = loadClusterInput(file, [
      "defaults.clockRate=10",
      "guest:g2.interrupts.perSecond=5",
      "hypervisors.0.guests.0.seed=zero",
    ]);
    const [g1, g2] = spec.hypervisors[0]!.guests;
    expect(spec.name).toBe("lab");
    expect(g1!.clockRate).toBe(10);
    expect(g1!.seed).toBe("zero");
    expect(g2!.clockRate).toBe(10);
    expect(g2!.interrupts.perSecond).toBe(5);
    expect(g2!.rdrand.mode).toBe("absent");
  });

  it("uses the embedded default cluster without -f", () => {
    const spec = loadClusterInput(undefined, ["guest:starved.interrupts.perSecond=5"]);
    const ids = spec.hypervisors.flatMap((h) => h.guests.map((g) => g.id));
    expect(ids).toEqual(["seeded", "virtio", "coco", "starved"]);
    expect(spec.hypervisors[0]!.guests[3]!.interrupts.perSecond).toBe(5);
  });

  it("blames a bad value on the --set that wrote it, naming the field", () => {
    const e = errorOf(() => loadClusterInput(file, ["guest:g2.seed=bogus"])) as ClusterFileError;
    expect(e).toBeInstanceOf(ClusterFileError);
    expect(e.file).toBe("--set guest:g2.seed=bogus");
    expect(e.path).toBe("/hypervisors/0/guests/1/seed");
    expect(e.message).toMatch(
      /^--set guest:g2.seed=bogus: \/hypervisors\/0\/guests\/1\/seed: expected one of "present", "absent", "zero", "replayed" \(got "bogus"\)$/,
    );
    const range = errorOf(() => loadClusterInput(file, ["defaults.clockRate=0"]));
    expect(range.message).toMatch(
      /^--set defaults.clockRate=0: \/defaults\/clockRate: expected a number > 0/,
    );
  });

  it("keeps naming the file and line for errors in the file itself", () => {
    const bad = join(dir, "bad.yaml");
    writeFileSync(
      bad,
      "hypervisors:\n  - id: hv1\n    guests:\n      - id: g1\n        seed: maybe\n",
    );
    const e = errorOf(() => loadClusterInput(bad, ["defaults.clockRate=2"])) as ClusterFileError;
    expect(e.message).toBe(
      `${bad}:5: /hypervisors/0/guests/0/seed: expected one of "present", "absent", "zero", "replayed" (got "maybe")`,
    );
  });

  it("reports a missing file and broken YAML as cluster-file errors", () => {
    const missing = errorOf(() => loadClusterInput(join(dir, "nope.yaml"), []));
    expect(missing).toMatchObject({ code: "E_CLUSTER_FILE", expected: "file not found" });
    const broken = join(dir, "broken.yaml");
    writeFileSync(broken, "hypervisors:\n  - id: hv1\n   guests: [\n");
    expect(errorOf(() => loadClusterInput(broken, [])).message).toMatch(
      /^.*broken\.yaml:\d+: \/: not valid YAML/,
    );
  });
});
