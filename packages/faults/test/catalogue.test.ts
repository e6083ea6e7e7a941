import {
  describeKinds,
  describeParams,
  FAULT_KIND_NAMES,
  FAULT_KINDS,
  layerOf,
  ownerRole,
} from "@vmrng/faults";
import { describe, expect, it } from "vitest";

describe("catalogue", () => {
  it("has exactly the kinds of issue #7, by layer", () => {
    const byLayer = (layer: string) => FAULT_KIND_NAMES.filter((k) => layerOf(k) === layer);
    expect(byLayer("link")).toEqual([
      "latency",
      "bandwidth",
      "slow_close",
      "timeout",
      "reset_peer",
      "slicer",
      "limit_data",
      "drop",
      "duplicate",
      "corrupt",
      "partition",
    ]);
    expect(byLayer("device")).toEqual([
      "virtio.stall",
      "virtio.short",
      "virtio.zeros",
      "virtio.repeat",
      "msr.zero",
      "msr.gp",
      "vmgenid.lost",
      "vmgenid.delay",
      "vmgenid.duplicate",
      "vmgenid.unchanged",
      "malicious",
    ]);
    expect(byLayer("boot")).toEqual(["seed.absent", "seed.zero", "seed.replayed"]);
    expect(byLayer("cpu")).toEqual([
      "rdrand.absent",
      "rdrand.fail",
      "rdrand.stuck",
      "rdrand.flaky",
      "clock.skew",
    ]);
    expect(byLayer("process")).toEqual(["kill", "pause", "restart"]);
  });

  it("every link toxic takes a direction defaulting to both; params objects are closed", () => {
    for (const k of FAULT_KIND_NAMES) {
      const params = FAULT_KINDS[k].params as {
        additionalProperties?: boolean;
        properties: Record<string, { default?: unknown }>;
      };
      expect(params.additionalProperties).toBe(false);
      if (layerOf(k) === "link" && k !== "partition")
        expect(params.properties.direction?.default).toBe("both");
    }
  });

  it("owners: the parent for link/process, the hypervisor for device/boot, the guest for cpu", () => {
    expect(ownerRole("latency", "guest")).toBe("hypervisor");
    expect(ownerRole("latency", "hypervisor")).toBe("host");
    expect(ownerRole("kill", "hypervisor")).toBe("host");
    expect(ownerRole("pause", "guest")).toBe("hypervisor");
    expect(ownerRole("virtio.zeros", "guest")).toBe("hypervisor");
    expect(ownerRole("seed.zero", "guest")).toBe("hypervisor");
    expect(ownerRole("rdrand.flaky", "guest")).toBe("guest");
    expect(ownerRole("partition", "host")).toBeUndefined();
  });

  it("describeKinds gives one non-empty line per kind", () => {
    const rows = describeKinds();
    expect(rows.map((r) => r.kind)).toEqual(FAULT_KIND_NAMES);
    for (const r of rows) {
      expect(r.description.length).toBeGreaterThan(10);
      expect(r.description).not.toContain("\n");
    }
  });

  it("describeParams names each param, what it accepts, its default", () => {
    expect(describeParams("virtio.short")).toEqual([
      { name: "bytes", accepts: "an integer in [1, 63]", default: 16, required: false },
    ]);
    expect(describeParams("latency")).toEqual([
      { name: "direction", accepts: "one of up, down, both", default: "both", required: false },
      { name: "latencyMs", accepts: "a number in [0, 86400000]", required: true },
      { name: "jitterMs", accepts: "a number in [0, 86400000]", default: 0, required: false },
    ]);
    expect(describeParams("kill")).toEqual([]);
  });
});
