import { type FaultError, FaultTable, type ValidFault, validateFaultSpec } from "@vmrng/faults";
import { describe, expect, it } from "vitest";

const f = (kind: string, target: string, params: Record<string, unknown> = {}): ValidFault =>
  validateFaultSpec({ kind, target, params });

describe("FaultTable", () => {
  it("numbers faults from 1, never reusing an id", () => {
    const t = new FaultTable();
    expect(t.add(f("virtio.zeros", "vm-1"), 0)).toBe(1);
    expect(t.add(f("kill", "hv1"), 0)).toBe(2);
    expect(t.remove(2)?.spec.kind).toBe("kill");
    expect(t.remove(2)).toBeUndefined();
    expect(t.add(f("pause", "hv1"), 0)).toBe(3);
    expect(t.size).toBe(2);
  });

  it("lists faults with their spec, nodes, times and activity", () => {
    const t = new FaultTable();
    t.add(f("latency", "random:guest", { latencyMs: 20 }), 100, { durationMs: 50 });
    t.add({ ...f("virtio.stall", "role:guest"), nodes: ["vm-1", "vm-2"] }, 120);
    expect(t.list(140)).toEqual([
      {
        fault: 1,
        spec: {
          kind: "latency",
          target: "random:guest",
          params: { latencyMs: 20, jitterMs: 0, direction: "both" },
        },
        active: true,
        startedAt: 100,
        expiresAt: 150,
      },
      {
        fault: 2,
        spec: { kind: "virtio.stall", target: "role:guest", params: {} },
        nodes: ["vm-1", "vm-2"],
        active: true,
        startedAt: 120,
      },
    ]);
    // Past its expiry but not yet expired: listed as inactive.
    expect(t.list(150).map((r) => r.active)).toEqual([false, true]);
  });

  it("expires faults whose duration ran out, in id order, and reports the next expiry", () => {
    const t = new FaultTable();
    expect(t.nextExpiryAt()).toBeNull();
    t.add(f("pause", "hv1"), 0, { durationMs: 300 });
    t.add(f("virtio.zeros", "vm-1"), 0);
    t.add(f("msr.zero", "vm-1"), 10, { durationMs: 100 });
    t.add(f("msr.gp", "vm-2"), 20, { durationMs: 90 });
    expect(t.nextExpiryAt()).toBe(110);
    expect(t.expire(109)).toEqual([]);
    expect(t.expire(110).map((e) => e.fault)).toEqual([3, 4]);
    expect(t.nextExpiryAt()).toBe(300);
    expect(t.expire(1000).map((e) => e.spec.kind)).toEqual(["pause"]);
    expect(t.nextExpiryAt()).toBeNull();
    expect(t.list(1000).map((r) => r.fault)).toEqual([2]);
  });

  it("refuses a bad duration with E_FAULT_DURATION", () => {
    const t = new FaultTable();
    for (const d of [0, -1, Number.NaN, 86_400_001]) {
      try {
        t.add(f("kill", "hv1"), 0, { durationMs: d });
        expect.unreachable();
      } catch (e) {
        expect((e as FaultError).code).toBe("E_FAULT_DURATION");
      }
    }
    expect(t.size).toBe(0);
  });

  it("clears everything or only the faults aimed at a target", () => {
    const t = new FaultTable();
    t.add(f("virtio.zeros", "vm-1"), 0);
    t.add({ ...f("latency", "role:guest", { latencyMs: 1 }), nodes: ["vm-1", "vm-2"] }, 0);
    t.add(f("kill", "hv1"), 0);
    t.add(f("partition", "hv2", { with: "vm-1" }), 0);
    t.add(f("rdrand.fail", "vm-2"), 0);
    expect(t.clear({ target: "vm-1" }).map((e) => e.fault)).toEqual([1, 2, 4]);
    expect(t.clear({ target: "role:guest" })).toEqual([]);
    expect(t.clear({ target: "nobody" })).toEqual([]);
    expect(t.clear().map((e) => e.fault)).toEqual([3, 5]);
    expect(t.size).toBe(0);
  });

  it("require() names the armed ids when one is missing", () => {
    const t = new FaultTable();
    t.add(f("kill", "hv1"), 0);
    expect(t.require(1).spec.kind).toBe("kill");
    try {
      t.require(9);
      expect.unreachable();
    } catch (e) {
      expect((e as FaultError).code).toBe("E_FAULT_NOT_FOUND");
      expect((e as Error).message).toBe("no armed fault 9; armed: 1");
    }
  });

  it("activeFor picks a node's live faults of one layer", () => {
    const t = new FaultTable();
    t.add(f("virtio.zeros", "vm-1"), 0);
    t.add({ ...f("virtio.short", "role:guest"), nodes: ["vm-1", "vm-2"] }, 0, { durationMs: 10 });
    t.add(f("rdrand.fail", "vm-1"), 0);
    t.add(f("virtio.stall", "vm-2"), 0);
    t.add(f("partition", "hv1", { with: "vm-1" }), 0);
    expect(t.activeFor("vm-1", "device").map((e) => e.fault)).toEqual([1, 2]);
    expect(t.activeFor("vm-1", "device", 10).map((e) => e.fault)).toEqual([1]);
    expect(t.activeFor("vm-2", "device").map((e) => e.spec.kind)).toEqual([
      "virtio.short",
      "virtio.stall",
    ]);
    expect(t.activeFor("vm-1", "cpu").map((e) => e.spec.kind)).toEqual(["rdrand.fail"]);
    expect(t.activeFor("vm-1", "link").map((e) => e.spec.kind)).toEqual(["partition"]);
    expect(t.activeFor("hv1", "link").map((e) => e.spec.kind)).toEqual(["partition"]);
    expect(t.faultsFor("vm-3", "device")).toEqual([]);
    expect(t.faultsFor("vm-2", "device").map((s) => s.kind)).toEqual([
      "virtio.short",
      "virtio.stall",
    ]);
  });

  it("keeps its own copy of the resolved nodes", () => {
    const t = new FaultTable();
    const nodes = ["vm-1"];
    t.add({ ...f("virtio.zeros", "random:guest"), nodes }, 0);
    nodes.push("vm-2");
    expect(t.activeFor("vm-2", "device")).toEqual([]);
    expect(t.get(1)?.spec).not.toHaveProperty("nodes");
  });
});
