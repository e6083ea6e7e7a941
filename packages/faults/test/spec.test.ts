import {
  FAULT_KIND_NAMES,
  FAULT_KINDS,
  FaultError,
  type FaultErrorCode,
  parseFaultSpec,
  type RawFault,
  validateFaultSpec,
} from "@vmrng/faults";
import fc from "fast-check";
import { describe, expect, it } from "vitest";

function failure(f: () => unknown): FaultError {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(FaultError);
    return e as FaultError;
  }
  throw new Error("expected a FaultError");
}

function expectFault(f: () => unknown, code: FaultErrorCode, message: RegExp): void {
  const e = failure(f);
  expect(e.code).toBe(code);
  expect(e.message).toMatch(message);
}

const v = (kind: string, params: Record<string, unknown> = {}, target = "vm-1") =>
  validateFaultSpec({ kind, target, params });

describe("parseFaultSpec", () => {
  it("reads KIND alone", () => {
    expect(parseFaultSpec("virtio.zeros")).toEqual({ kind: "virtio.zeros", params: {} });
    expect(parseFaultSpec("  rdrand.stuck ")).toEqual({ kind: "rdrand.stuck", params: {} });
  });

  it("reads KIND:key=value pairs, typed by the schema", () => {
    expect(parseFaultSpec("latency:latencyMs=200,jitterMs=50,direction=down")).toEqual({
      kind: "latency",
      params: { latencyMs: 200, jitterMs: 50, direction: "down" },
    });
    expect(parseFaultSpec("clock.skew:rate=4")).toEqual({
      kind: "clock.skew",
      params: { rate: 4 },
    });
    expect(parseFaultSpec("partition:with=host")).toEqual({
      kind: "partition",
      params: { with: "host" },
    });
    expect(parseFaultSpec("drop:probability=0.25")).toEqual({
      kind: "drop",
      params: { probability: 0.25 },
    });
  });

  it("accepts durations for keys in ms", () => {
    expect(parseFaultSpec("latency:latencyMs=1.5s").params.latencyMs).toBe(1500);
    expect(parseFaultSpec("vmgenid.delay:delayMs=2m").params.delayMs).toBe(120_000);
    expectFault(
      () => parseFaultSpec("latency:latencyMs=soon"),
      "E_FAULT_SPEC",
      /latencyMs must be a number/,
    );
    // Keys not in ms take numbers only.
    expectFault(
      () => parseFaultSpec("corrupt:probability=1,bytes=2s"),
      "E_FAULT_SPEC",
      /bytes must be an integer in \[1, 1024\], got '2s'/,
    );
  });

  it("reads JSON and YAML flow objects", () => {
    expect(parseFaultSpec('{"kind":"latency","latencyMs":200}')).toEqual({
      kind: "latency",
      params: { latencyMs: 200 },
    });
    expect(parseFaultSpec("{kind: latency, latencyMs: 200, direction: up}")).toEqual({
      kind: "latency",
      params: { latencyMs: 200, direction: "up" },
    });
    expect(parseFaultSpec("{kind: 'partition', with: \"hv-2\"}")).toEqual({
      kind: "partition",
      params: { with: "hv-2" },
    });
    expect(parseFaultSpec('{"kind":"drop","params":{"probability":"0.5"}}')).toEqual({
      kind: "drop",
      params: { probability: 0.5 },
    });
    expect(parseFaultSpec("{kind: virtio.stall}")).toEqual({ kind: "virtio.stall", params: {} });
  });

  it("names a close match for a misspelt kind", () => {
    expectFault(
      () => parseFaultSpec("latncy:latencyMs=1"),
      "E_FAULT_SPEC",
      /unknown fault kind 'latncy' \(did you mean 'latency'\?\)/,
    );
    expectFault(() => parseFaultSpec("virtio.zero"), "E_FAULT_SPEC", /did you mean 'virtio.zeros'/);
    expectFault(() => parseFaultSpec("rdrand.stuk"), "E_FAULT_SPEC", /did you mean 'rdrand.stuck'/);
    expectFault(
      () => parseFaultSpec("explode"),
      "E_FAULT_SPEC",
      /unknown fault kind 'explode'; run `vmrng fault kinds`/,
    );
  });

  it("refuses broken syntax with E_FAULT_SPEC naming the problem", () => {
    expectFault(() => parseFaultSpec(""), "E_FAULT_SPEC", /missing fault kind/);
    expectFault(() => parseFaultSpec("latency:"), "E_FAULT_SPEC", /nothing after 'latency:'/);
    expectFault(
      () => parseFaultSpec("latency:latencyMs"),
      "E_FAULT_SPEC",
      /expected key=value, got 'latencyMs'/,
    );
    expectFault(() => parseFaultSpec("latency:latencyMs="), "E_FAULT_SPEC", /expected key=value/);
    expectFault(
      () => parseFaultSpec("latency:latencyMs=1,latencyMs=2"),
      "E_FAULT_SPEC",
      /'latencyMs' given twice/,
    );
    expectFault(
      () => parseFaultSpec("latency:latncyMs=1"),
      "E_FAULT_SPEC",
      /unknown param 'latncyMs' for latency \(did you mean 'latencyMs'\?\); allowed: direction, latencyMs, jitterMs/,
    );
    expectFault(
      () => parseFaultSpec("virtio.zeros:bytes=3"),
      "E_FAULT_SPEC",
      /virtio.zeros takes no params, got 'bytes'/,
    );
    expectFault(() => parseFaultSpec('{"latencyMs":200}'), "E_FAULT_SPEC", /missing fault kind/);
    expectFault(() => parseFaultSpec("{kind: latency, x: {y: 1}}"), "E_FAULT_SPEC", /nested/);
    expectFault(
      () => parseFaultSpec("{kind: latency, latencyMs 5}"),
      "E_FAULT_SPEC",
      /expected key: value/,
    );
    expectFault(() => parseFaultSpec("{kind: 'latency}"), "E_FAULT_SPEC", /unterminated quote/);
    expectFault(() => parseFaultSpec("{kind: a, kind: b}"), "E_FAULT_SPEC", /given twice/);
    expectFault(() => parseFaultSpec("[1,2]"), "E_FAULT_SPEC", /unknown fault kind/);
  });
});

describe("validateFaultSpec", () => {
  it("applies defaults", () => {
    expect(v("latency", { latencyMs: 100 }).params).toEqual({
      latencyMs: 100,
      jitterMs: 0,
      direction: "both",
    });
    expect(v("slicer").params).toEqual({
      direction: "both",
      averageSize: 64,
      sizeVariation: 32,
      delayUs: 100,
    });
    expect(v("timeout").params).toEqual({ direction: "both", timeoutMs: 0 });
    expect(v("reset_peer").params).toEqual({ direction: "both", timeoutMs: 0 });
    expect(v("corrupt", { probability: 0.1 }).params).toEqual({
      direction: "both",
      probability: 0.1,
      bytes: 1,
    });
    expect(v("virtio.short").params).toEqual({ bytes: 16 });
    expect(v("rdrand.flaky").params).toEqual({ failProbability: 0.5 });
    expect(v("virtio.zeros").params).toEqual({});
    expect(v("clock.skew", { offsetMs: 500 }).params).toEqual({ offsetMs: 500 });
  });

  it("does not change the caller's params object", () => {
    const params = { latencyMs: 5 };
    v("latency", params);
    expect(params).toEqual({ latencyMs: 5 });
  });

  it("requires params without defaults, naming the key and its range", () => {
    expectFault(
      () => v("latency"),
      "E_FAULT_SPEC",
      /latency needs latencyMs \(a number in \[0, 86400000\]\)/,
    );
    expectFault(
      () => v("bandwidth"),
      "E_FAULT_SPEC",
      /bandwidth needs bytesPerSec \(an integer in \[1, 1000000000\]\)/,
    );
    expectFault(() => v("drop"), "E_FAULT_SPEC", /drop needs probability \(a number in \[0, 1\]\)/);
    expectFault(() => v("partition", {}, "hv1"), "E_FAULT_SPEC", /partition needs with/);
    expectFault(
      () => v("vmgenid.delay"),
      "E_FAULT_SPEC",
      /vmgenid.delay needs delayMs \(a number in \(0, 86400000\]\)/,
    );
  });

  it("checks ranges and types with the allowed range in the message", () => {
    expectFault(
      () => v("virtio.short", { bytes: 64 }),
      "E_FAULT_SPEC",
      /virtio.short: bytes must be an integer in \[1, 63\], got 64/,
    );
    expectFault(
      () => v("virtio.short", { bytes: 0 }),
      "E_FAULT_SPEC",
      /bytes must be an integer in \[1, 63\], got 0/,
    );
    expectFault(() => v("virtio.short", { bytes: 2.5 }), "E_FAULT_SPEC", /got 2.5/);
    expectFault(
      () => v("drop", { probability: 1.5 }),
      "E_FAULT_SPEC",
      /probability must be a number in \[0, 1\], got 1.5/,
    );
    expectFault(() => v("drop", { probability: -0.1 }), "E_FAULT_SPEC", /got -0.1/);
    expectFault(
      () => v("latency", { latencyMs: -1 }),
      "E_FAULT_SPEC",
      /latencyMs must be a number in \[0, 86400000\], got -1/,
    );
    expectFault(() => v("latency", { latencyMs: true }), "E_FAULT_SPEC", /got true/);
    expectFault(
      () => v("latency", { latencyMs: 1, direction: "sideways" }),
      "E_FAULT_SPEC",
      /direction must be one of up, down, both, got 'sideways'/,
    );
    expectFault(
      () => v("clock.skew", { rate: 0 }),
      "E_FAULT_SPEC",
      /rate must be a number in \(0, 1000\], got 0/,
    );
    expectFault(() => v("clock.skew", { rate: 1001 }), "E_FAULT_SPEC", /got 1001/);
    expectFault(() => v("clock.skew", {}), "E_FAULT_SPEC", /give rate .* or offsetMs/);
    expectFault(
      () => v("slicer", { averageSize: 8, sizeVariation: 8 }),
      "E_FAULT_SPEC",
      /sizeVariation \(8\) must be less than averageSize \(8\)/,
    );
    expectFault(
      () => v("partition", { with: "bad id!" }, "hv1"),
      "E_FAULT_SPEC",
      /with must be a node id/,
    );
    expectFault(
      () => v("latency", { latencyMs: "fast" }),
      "E_FAULT_SPEC",
      /latencyMs must be a number in \[0, 86400000\]/,
    );
    expectFault(
      () =>
        validateFaultSpec({
          kind: "latency",
          target: "g",
          params: [] as unknown as Record<string, unknown>,
        }),
      "E_FAULT_SPEC",
      /params must be an object/,
    );
  });

  it("checks the target and the kind's roles", () => {
    expectFault(
      () => v("virtio.zeros", {}, "role:hypervisor"),
      "E_FAULT_TARGET",
      /virtio.zeros cannot target role:hypervisor \(a hypervisor\); it accepts guest nodes/,
    );
    expectFault(
      () => v("rdrand.fail", {}, "random:hypervisor"),
      "E_FAULT_TARGET",
      /accepts guest nodes/,
    );
    expectFault(() => v("kill", {}, "bad/target"), "E_FAULT_TARGET", /bad target 'bad\/target'/);
    expectFault(() => v("kill", {}, "role:guests"), "E_FAULT_TARGET", /did you mean 'role:guest'/);
    const nodes = [
      { id: "host", role: "host" as const },
      { id: "hv1", role: "hypervisor" as const, parent: "host" },
      { id: "vm-1", role: "guest" as const, parent: "hv1" },
    ];
    expectFault(
      () => validateFaultSpec({ kind: "seed.zero", target: "hv1", params: {} }, nodes),
      "E_FAULT_TARGET",
      /seed.zero cannot target 'hv1' \(a hypervisor\)/,
    );
    expectFault(
      () => validateFaultSpec({ kind: "latency", target: "host", params: { latencyMs: 1 } }, nodes),
      "E_FAULT_TARGET",
      /accepts hypervisor or guest/,
    );
    expect(validateFaultSpec({ kind: "kill", target: "hv1", params: {} }, nodes).kind).toBe("kill");
    // Without a node list a node id's role is unknown, so only its syntax is checked.
    expect(v("seed.zero", {}, "hv1").target).toBe("hv1");
    expectFault(() => v("partition", { with: "hv1" }, "hv1"), "E_FAULT_TARGET", /same node 'hv1'/);
    expect(v("partition", { with: "host" }, "hv1").params).toEqual({ with: "host" });
  });

  it("every kind validates with only its required params, and the result passes its schema", () => {
    const needs: Record<string, Record<string, unknown>> = {
      latency: { latencyMs: 1 },
      bandwidth: { bytesPerSec: 1000 },
      slow_close: { delayMs: 1 },
      limit_data: { bytes: 10 },
      drop: { probability: 0.5 },
      duplicate: { probability: 0.5 },
      corrupt: { probability: 0.5 },
      partition: { with: "host" },
      "vmgenid.delay": { delayMs: 10 },
      "clock.skew": { rate: 2 },
    };
    for (const kind of FAULT_KIND_NAMES) {
      const role = FAULT_KINDS[kind].roles.includes("guest") ? "vm-1" : "hv1";
      const f = v(kind, needs[kind] ?? {}, role);
      expect(f.kind).toBe(kind);
      for (const key of Object.keys(needs[kind] ?? {})) expect(f.params).toHaveProperty(key);
    }
  });

  it("accepts what parseFaultSpec produced from a rendered spec (property)", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 100_000 }),
        fc.integer({ min: 0, max: 100_000 }),
        fc.constantFrom("up", "down", "both"),
        (latencyMs, jitterMs, direction) => {
          const text = `latency:latencyMs=${latencyMs},jitterMs=${jitterMs},direction=${direction}`;
          const parsed = parseFaultSpec(text);
          const raw: RawFault = {
            kind: parsed.kind,
            target: "random:guest",
            params: parsed.params,
          };
          expect(validateFaultSpec(raw).params).toEqual({ latencyMs, jitterMs, direction });
          const json = parseFaultSpec(
            JSON.stringify({ kind: "latency", latencyMs, jitterMs, direction }),
          );
          expect(json).toEqual(parsed);
        },
      ),
    );
  });

  it("refuses any out-of-range probability (property)", () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.double({ min: 1.000001, max: 1e9, noNaN: true }),
          fc.double({ min: -1e9, max: -0.000001, noNaN: true }),
        ),
        (p) => {
          expect(failure(() => v("duplicate", { probability: p })).code).toBe("E_FAULT_SPEC");
        },
      ),
    );
  });
});
