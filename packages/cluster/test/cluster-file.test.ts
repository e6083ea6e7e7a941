import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import {
  ClusterFileError,
  ClusterFileSchema,
  DEFAULT_CLUSTER_YAML,
  loadClusterFile,
  parseClusterText,
} from "../src/index.js";

function refusal(text: string): ClusterFileError {
  try {
    parseClusterText(text, "c.yaml");
  } catch (err) {
    if (err instanceof ClusterFileError) return err;
    throw err;
  }
  throw new Error("expected the file to be refused");
}

describe("cluster file", () => {
  it("resolves the embedded default cluster with every setting decided", () => {
    const spec = parseClusterText(DEFAULT_CLUSTER_YAML, "<default>");
    expect(spec.name).toBe("default");
    const guests = spec.hypervisors[0]!.guests;
    expect(guests.map((g) => g.id)).toEqual(["seeded", "virtio", "coco", "starved"]);
    const [seeded, virtio, coco, starved] = guests;
    expect(seeded).toMatchObject({
      seed: "present",
      rdrand: { mode: "ok" },
      expect: "ready",
      hypervisor: "hv1",
    });
    expect(virtio).toMatchObject({
      seed: "absent",
      rdrand: { mode: "absent" },
      virtioRng: { enabled: true, queueSize: 8 },
    });
    expect(coco).toMatchObject({ coco: true, expect: "ready" });
    expect(starved!.expect).toBe("booted");
    expect(starved).toMatchObject({
      virtioRng: { enabled: false },
      msr: { enabled: false },
      interrupts: { perSecond: 20 },
    });
    // Untouched settings come from the built-in defaults.
    expect(starved!.trust).toEqual({ cpu: true, bootloader: true, msr: false });
  });

  it("layers defaults: built-in < file defaults < hypervisor defaults < guest", () => {
    const spec = parseClusterText(
      `defaults: { cpus: 4, clockRate: 10, vmgenid: { mode: counter } }
hypervisors:
  - id: hv
    defaults: { cpus: 8, vmgenid: { notifyDelayMs: 5 } }
    guests:
      - id: a
      - id: b
        cpus: 1
`,
      "c.yaml",
    );
    const [a, b] = spec.hypervisors[0]!.guests;
    expect(a).toMatchObject({
      cpus: 8,
      clockRate: 10,
      vmgenid: { mode: "counter", notifyDelayMs: 5 },
    });
    expect(b!.cpus).toBe(1);
  });

  it("gives virtio-rng the 6.x hw_random quality unless told to model an older kernel", () => {
    const spec = parseClusterText(
      "hypervisors: [{ id: hv, guests: [{ id: a }, { id: b, virtioRng: { quality: 1000 } }] }]",
      "c.yaml",
    );
    expect(spec.hypervisors[0]!.guests.map((g) => g.virtioRng.quality)).toEqual([1024, 1000]);
    expect(
      refusal("hypervisors: [{ id: hv, guests: [{ id: a, virtioRng: { quality: 2000 } }] }]").path,
    ).toBe("/hypervisors/0/guests/0/virtioRng/quality");
  });

  it("expects a panic from a CoCo guest whose RDRAND fails, but not from a stuck one", () => {
    const spec = parseClusterText(
      `hypervisors:
  - id: hv
    guests:
      - { id: f, coco: true, rdrand: { mode: fail } }
      - { id: s, coco: true, rdrand: { mode: stuck } }
      - { id: n, rdrand: { mode: fail } }
`,
      "c.yaml",
    );
    expect(spec.hypervisors[0]!.guests.map((g) => g.expect)).toEqual(["panic", "ready", "ready"]);
  });

  it("names the file, the field path, the line and the allowed values for a bad enum", () => {
    const err = refusal(`hypervisors:
  - id: hv
    guests:
      - id: g1
      - id: g2
        rdrand: { mode: brokn }
`);
    expect(err.code).toBe("E_CLUSTER_FILE");
    expect(err.path).toBe("/hypervisors/0/guests/1/rdrand/mode");
    expect(err.line).toBe(6);
    expect(err.message).toBe(
      'c.yaml:6: /hypervisors/0/guests/1/rdrand/mode: expected one of "ok", "absent", "fail", "stuck", "flaky" (got "brokn")',
    );
  });

  it("refuses unknown fields, wrong types, out-of-range numbers and missing ids", () => {
    expect(refusal("hypervisors: [{ id: hv, guests: [{ id: g, colour: red }] }]").path).toBe(
      "/hypervisors/0/guests/0/colour",
    );
    expect(refusal("hypervisors: [{ id: hv, guests: [{ id: g, cpus: two }] }]").expected).toMatch(
      /^expected an integer >= 1 and <= 64 .*\(got "two"\)$/,
    );
    expect(
      refusal("hypervisors: [{ id: hv, guests: [{ id: g, clockRate: 0 }] }]").expected,
    ).toMatch(/> 0/);
    expect(refusal("hypervisors: [{ id: hv, guests: [{ cpus: 1 }] }]").path).toBe(
      "/hypervisors/0/guests/0/id",
    );
    expect(refusal("hypervisors: []").path).toBe("/hypervisors");
    expect(refusal("hypervisors: [{ id: Bad_Id, guests: [] }]").expected).toMatch(/matching/);
  });

  it("refuses duplicate ids anywhere in the cluster and non-power-of-two queues", () => {
    const dup = refusal(
      "hypervisors: [{ id: a, guests: [{ id: x }] }, { id: b, guests: [{ id: x }] }]",
    );
    expect(dup.path).toBe("/hypervisors/1/guests/0/id");
    expect(dup.expected).toContain("/hypervisors/0/guests/0/id");
    expect(refusal("hypervisors: [{ id: a, guests: [{ id: a }] }]").path).toBe(
      "/hypervisors/0/guests/0/id",
    );
    expect(
      refusal("hypervisors: [{ id: a, guests: [{ id: g, virtioRng: { queueSize: 100 } }] }]")
        .expected,
    ).toBe("expected a power of two (got 100)");
  });

  it("reports YAML syntax errors with a line, and a missing file by name", () => {
    const err = refusal("hypervisors:\n  - id: hv\n    guests: [\n");
    expect(err.expected).toMatch(/^not valid YAML/);
    expect(err.line).toBeGreaterThan(0);
    const dir = mkdtempSync(join(tmpdir(), "cluster-"));
    expect(() => loadClusterFile(join(dir, "nope.yaml"))).toThrow(/nope\.yaml: \/: file not found/);
    const ok = join(dir, "ok.yaml");
    writeFileSync(ok, "hypervisors: [{ id: hv, guests: [{ id: g }] }]\n");
    expect(loadClusterFile(ok).hypervisors[0]!.guests[0]!.id).toBe("g");
  });

  it("publishes a JSON Schema that forbids unknown fields", () => {
    const schema = JSON.parse(JSON.stringify(ClusterFileSchema));
    expect(schema.title).toBe("vmrng cluster file");
    expect(schema.additionalProperties).toBe(false);
    expect(schema.required).toEqual(["hypervisors"]);
  });
});

describe("host.egd", () => {
  it("is off by default, with a free port, no limit and 64 clients", () => {
    const spec = parseClusterText(DEFAULT_CLUSTER_YAML, "<default>");
    expect(spec.host.egd).toEqual({ enabled: false, port: 0, rateLimit: {}, maxClients: 64 });
  });

  it("takes a port, a Unix socket, per-client token buckets and a client cap", () => {
    const spec = parseClusterText(
      `host:
  egd:
    enabled: true
    port: 7777
    socketPath: egd.sock
    rateLimit: { ops: { size: 100, refillTimeMs: 1000 }, bytes: { size: 4096, oneTimeBurst: 512, refillTimeMs: 1000 } }
    maxClients: 3
hypervisors: [{ id: hv, guests: [] }]
`,
      "c.yaml",
    );
    expect(spec.host.egd).toEqual({
      enabled: true,
      port: 7777,
      socketPath: "egd.sock",
      rateLimit: {
        ops: { size: 100, refillTimeMs: 1000 },
        bytes: { size: 4096, oneTimeBurst: 512, refillTimeMs: 1000 },
      },
      maxClients: 3,
    });
  });

  it("refuses a bad port, an unknown field, an empty bucket and zero clients by path", () => {
    const hv = "hypervisors: [{ id: hv, guests: [] }]";
    expect(refusal(`host: { egd: { port: 70000 } }\n${hv}`).path).toBe("/host/egd/port");
    expect(refusal(`host: { egd: { colour: red } }\n${hv}`).path).toBe("/host/egd/colour");
    expect(
      refusal(`host: { egd: { rateLimit: { bytes: { size: 0, refillTimeMs: 1 } } } }\n${hv}`).path,
    ).toBe("/host/egd/rateLimit/bytes/size");
    expect(refusal(`host: { egd: { maxClients: 0 } }\n${hv}`).path).toBe("/host/egd/maxClients");
    expect(refusal(`host: { egd: { socketPath: "" } }\n${hv}`).path).toBe("/host/egd/socketPath");
  });

  it("puts a relative socket path inside the run directory", async () => {
    const { RunDir } = await import("../src/index.js");
    const rd = new RunDir("/tmp/lab");
    expect(rd.egdSocketPath("egd.sock")).toBe("/tmp/lab/egd.sock");
    expect(rd.egdSocketPath("/run/egd.sock")).toBe("/run/egd.sock");
  });
});

describe("resolved spec round trip", () => {
  it("reads back exactly the spec that was written to a run directory", async () => {
    const { loadResolvedSpec } = await import("../src/index.js");
    const spec = parseClusterText(DEFAULT_CLUSTER_YAML, "<default>");
    const dir = mkdtempSync(join(tmpdir(), "resolved-"));
    const f = join(dir, "cluster.json");
    writeFileSync(f, JSON.stringify(spec));
    expect(loadResolvedSpec(f)).toEqual(spec);
    writeFileSync(
      f,
      JSON.stringify({ ...spec, hypervisors: [{ id: "hv", guests: [{ id: "g", cpus: 0 }] }] }),
    );
    expect(() => loadResolvedSpec(f)).toThrow(/\/hypervisors\/0\/guests\/0\/cpus/);
  });
});
