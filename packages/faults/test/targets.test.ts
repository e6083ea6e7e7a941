import {
  type ClusterNode,
  FaultError,
  ownerNode,
  parseTarget,
  resolveTargets,
  SeededRandom,
} from "@vmrng/faults";
import { describe, expect, it } from "vitest";

const nodes: ClusterNode[] = [
  { id: "host", role: "host" },
  { id: "hv1", role: "hypervisor", parent: "host" },
  { id: "hv2", role: "hypervisor", parent: "host" },
  { id: "vm-1", role: "guest", parent: "hv1" },
  { id: "vm-2", role: "guest", parent: "hv1" },
  { id: "vm-3", role: "guest", parent: "hv2" },
  { id: "vm-4", role: "guest", parent: "hv2" },
];

function targetError(f: () => unknown): FaultError {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(FaultError);
    expect((e as FaultError).code).toBe("E_FAULT_TARGET");
    return e as FaultError;
  }
  throw new Error("expected E_FAULT_TARGET");
}

describe("parseTarget", () => {
  it("reads every form", () => {
    expect(parseTarget("vm-1")).toEqual({ type: "node", id: "vm-1" });
    expect(parseTarget("role:guest")).toEqual({ type: "role", role: "guest" });
    expect(parseTarget("role:hypervisor")).toEqual({ type: "role", role: "hypervisor" });
    expect(parseTarget("all")).toEqual({ type: "all" });
    expect(parseTarget("random")).toEqual({ type: "random" });
    expect(parseTarget("random:guest")).toEqual({ type: "random", role: "guest" });
    expect(parseTarget("random:hypervisor")).toEqual({ type: "random", role: "hypervisor" });
    expect(parseTarget("a".repeat(63))).toEqual({ type: "node", id: "a".repeat(63) });
  });

  it("refuses malformed targets", () => {
    expect(targetError(() => parseTarget("")).message).toMatch(/node id is 1-63 characters/);
    expect(targetError(() => parseTarget("-vm")).message).toMatch(
      /starting with a letter or digit/,
    );
    expect(targetError(() => parseTarget("a".repeat(64))).message).toMatch(/1-63 characters/);
    expect(targetError(() => parseTarget("role:host")).message).toMatch(
      /role:guest, role:hypervisor/,
    );
    expect(targetError(() => parseTarget("random:gest")).message).toMatch(
      /did you mean 'random:guest'/,
    );
  });
});

describe("resolveTargets", () => {
  const r = () => new SeededRandom(1);

  it("resolves a node, a role, all", () => {
    expect(resolveTargets("vm-3", nodes, r(), "virtio.zeros")).toEqual(["vm-3"]);
    expect(resolveTargets("role:guest", nodes, r())).toEqual(["vm-1", "vm-2", "vm-3", "vm-4"]);
    expect(resolveTargets("role:hypervisor", nodes, r(), "kill")).toEqual(["hv1", "hv2"]);
    // `all` keeps the nodes the kind accepts.
    expect(resolveTargets("all", nodes, r(), "rdrand.fail")).toEqual([
      "vm-1",
      "vm-2",
      "vm-3",
      "vm-4",
    ]);
    expect(resolveTargets("all", nodes, r(), "latency")).toEqual([
      "hv1",
      "hv2",
      "vm-1",
      "vm-2",
      "vm-3",
      "vm-4",
    ]);
    expect(resolveTargets("all", nodes, r(), "partition")).toContain("host");
    expect(resolveTargets("all", nodes, r())).not.toContain("host");
  });

  it("errors on an unknown node with a close match, a refused role, an empty set", () => {
    const unknown = targetError(() => resolveTargets("vm-5", nodes, r()));
    expect(unknown.message).toMatch(
      /unknown node 'vm-5' \(did you mean 'vm-1'\?\); known: host, hv1/,
    );
    expect(targetError(() => resolveTargets("hv1", nodes, r(), "virtio.stall")).message).toMatch(
      /virtio.stall cannot target 'hv1' \(a hypervisor\); it accepts guest nodes/,
    );
    expect(
      targetError(() => resolveTargets("role:hypervisor", nodes, r(), "seed.zero")).message,
    ).toMatch(/cannot target role:hypervisor/);
    const hvOnly = nodes.filter((n) => n.role !== "guest");
    expect(targetError(() => resolveTargets("random:guest", hvOnly, r(), "kill")).message).toMatch(
      /target 'random:guest' selects no node that kill accepts \(hypervisor, guest\)/,
    );
    expect(targetError(() => resolveTargets("all", [], r())).message).toMatch(/selects no node/);
  });

  it("random draws one node of the right role; the same seed draws the same node", () => {
    for (let seed = 0; seed < 30; seed++) {
      const a = resolveTargets("random:guest", nodes, new SeededRandom(seed), "virtio.zeros");
      const b = resolveTargets(
        "random:guest",
        [...nodes].reverse(),
        new SeededRandom(seed),
        "virtio.zeros",
      );
      expect(a).toHaveLength(1);
      expect(a[0]).toMatch(/^vm-/);
      expect(b).toEqual(a); // the listing order does not matter
      const h = resolveTargets("random", nodes, new SeededRandom(seed), "kill");
      expect(h[0]).not.toBe("host");
    }
  });

  it("different seeds can draw different nodes, and over many seeds all of them", () => {
    const seen = new Set<string>();
    for (let seed = 0; seed < 64; seed++) {
      seen.add(resolveTargets("random:guest", nodes, new SeededRandom(seed))[0]!);
    }
    expect([...seen].sort()).toEqual(["vm-1", "vm-2", "vm-3", "vm-4"]);
  });
});

describe("ownerNode", () => {
  it("routes each layer to the process that applies it", () => {
    expect(ownerNode("latency", "vm-3", nodes)).toBe("hv2");
    expect(ownerNode("latency", "hv1", nodes)).toBe("host");
    expect(ownerNode("kill", "hv2", nodes)).toBe("host");
    expect(ownerNode("pause", "vm-1", nodes)).toBe("hv1");
    expect(ownerNode("virtio.zeros", "vm-1", nodes)).toBe("hv1");
    expect(ownerNode("seed.replayed", "vm-4", nodes)).toBe("hv2");
    expect(ownerNode("rdrand.stuck", "vm-2", nodes)).toBe("vm-2");
    expect(ownerNode("clock.skew", "vm-2", nodes)).toBe("vm-2");
    expect(targetError(() => ownerNode("partition", "host", nodes)).message).toMatch(/has none/);
    expect(targetError(() => ownerNode("kill", "nope", nodes)).message).toMatch(
      /unknown node 'nope'/,
    );
  });
});
